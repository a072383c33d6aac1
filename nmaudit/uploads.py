"""Phone screenshots staff attach to what they saw (人工核查), made safe to keep and show.

An upload is never kept as sent: it must be a PNG, JPEG or WebP image of a sensible size; it is
decoded, and only its pixels are encoded again (PNG, or JPEG for photos), so whatever else
the file carried (EXIF and XMP metadata, comments, a script, a second file appended to it)
is gone. The SHA-256 is of the file kept.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import UploadError

#: Larger uploads are refused before they are decoded (a phone screenshot is well under this).
MAX_BYTES = 8 * 1024 * 1024
#: Larger images are refused (a decompression bomb packs many pixels into few bytes).
MAX_PIXELS = 40_000_000
MAX_SIDE = 20_000
FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "png"}


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    extension: str  # png | jpg
    sha256: str
    width: int
    height: int


def clean_screenshot(data: bytes) -> CleanImage:
    """The image's pixels alone, encoded afresh; UploadError saying why an upload is refused."""
    if not data:
        raise UploadError("截图文件为空")
    if len(data) > MAX_BYTES:
        raise UploadError(f"截图文件过大（{len(data) / 1024 / 1024:.1f} MB，上限 {MAX_BYTES // 1024 // 1024} MB）")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
                kind = image.format or ""
                width, height = image.size
                if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
                    raise UploadError(f"截图尺寸过大（{width}×{height}）")
                image.load()
                upright = ImageOps.exif_transpose(image)  # a photo's rotation, before EXIF goes
        except UploadError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise UploadError("截图尺寸过大（像素过多）") from None
        except UnidentifiedImageError:
            raise UploadError("不是可以识别的图片：请上传 PNG、JPEG 或 WebP 格式的截图") from None
        except (OSError, ValueError, SyntaxError):  # truncated or corrupt pixel data
            raise UploadError("图片已损坏，无法读取") from None
    mode = "RGBA" if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info else "RGB"
    pixels = upright.convert(mode)
    fresh = Image.frombytes(mode, pixels.size, pixels.tobytes())  # pixels only: no info, no metadata
    extension = FORMATS[kind] if mode == "RGB" else "png"
    out = io.BytesIO()
    if extension == "jpg":
        fresh.save(out, format="JPEG", quality=90)
    else:
        fresh.save(out, format="PNG", optimize=False)
    kept = out.getvalue()
    return CleanImage(kept, extension, hashlib.sha256(kept).hexdigest(), *fresh.size)
