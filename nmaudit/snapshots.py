"""Where evidence files go, how they are named, and how they are written (atomically)."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .dates import now

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

#: The process's umask, read once: mkstemp makes files 0600, but evidence, reports and
#: registries are for colleagues and shared folders, so they get the mode open() would give.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def atomic_write(path: Path, data: bytes, durable: bool = True) -> None:
    """Write a file so that a crash leaves either nothing or the whole file, never half of it.
    `durable=False` leaves the flush to disk to the caller (AccountEvidence.sync)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fchmod(stream.fileno(), 0o666 & ~_UMASK)
            if durable:
                os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class EvidenceFile:
    path: str
    kind: str  # screenshot | body | observation
    sha256: str
    captured_at: datetime
    size: int


class AccountEvidence:
    """The evidence folder of one account in one run: snapshots/<run-id>/<account-id>/."""

    def __init__(self, root: Path | str, run_id: str, account_id: str):
        self.folder = Path(root) / run_id / _UNSAFE.sub("_", account_id)
        self.files: list[EvidenceFile] = []
        self._count = 0
        self._unsynced: list[Path] = []  # written, not yet flushed to disk

    def next_stem(self, label: str) -> str:
        """A numbered name for the next page visited, so files sort in visiting order."""
        self._count += 1
        return f"{self._count:02d}-{_UNSAFE.sub('_', label)}"

    def save(self, name: str, data: bytes, kind: str) -> str:
        path = self.folder / name
        # Flushed to disk in one go by sync() before the account's rows are stored: an fsync
        # per file here would stall every page of the run for each one.
        atomic_write(path, data, durable=False)
        self._unsynced.append(path)
        record = EvidenceFile(
            path=str(path),
            kind=kind,
            sha256=hashlib.sha256(data).hexdigest(),
            captured_at=now(),
            size=len(data),
        )
        self.files.append(record)
        return record.path

    def discard(self, paths: list[str]) -> None:
        """Forget the files of an attempt that was abandoned for another source (Weibo's profile
        page that did not render): deleted, and their number given back when they were the last."""
        doomed = set(paths)
        if not doomed:
            return
        stems = {Path(path).name.split(".")[0] for path in doomed}
        for path in doomed:
            Path(path).unlink(missing_ok=True)
        self.files = [record for record in self.files if record.path not in doomed]
        if all(stem.startswith(f"{self._count:02d}-") for stem in stems):
            self._count -= 1

    @property
    def paths(self) -> list[str]:
        return [record.path for record in self.files]

    def sync(self) -> None:
        """Flush every file written since the last sync, and the folder's entries, to disk, so
        that rows naming them are never stored before them (blocking: run it in a thread)."""
        pending, self._unsynced = self._unsynced, []
        for path in pending:
            try:
                handle = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue  # discarded meanwhile
            try:
                os.fsync(handle)
            finally:
                os.close(handle)
        if pending and self.folder.exists():
            handle = os.open(self.folder, os.O_RDONLY)
            try:
                os.fsync(handle)
            finally:
                os.close(handle)


def save_manual(root: Path | str, run_id: str, account_id: str, data: bytes, extension: str,
                at: datetime) -> EvidenceFile:
    """Keep a reviewer's (already cleaned) screenshot beside the run's evidence of the account:
    snapshots/<run-id>/<account-id>/manual-<time>-<sha256 prefix>.<extension>."""
    digest = hashlib.sha256(data).hexdigest()
    path = Path(root) / run_id / _UNSAFE.sub("_", account_id) / f"manual-{at:%Y%m%d-%H%M%S}-{digest[:8]}.{extension}"
    atomic_write(path, data)
    return EvidenceFile(path=str(path), kind="manual", sha256=digest, captured_at=at, size=len(data))


BODY_EXTENSIONS = {"json": "json", "html": "html", "xml": "xml", "text/plain": "txt", "javascript": "js"}


def body_extension(content_type: str) -> str:
    lowered = content_type.lower()
    for marker, extension in BODY_EXTENSIONS.items():
        if marker in lowered:
            return extension
    return "bin"


def evidence_key(path: str, run_id: str) -> str:
    """A kept file's place under the evidence folder, `<run-id>/<account>/<file>` (or
    `<run-id>/<file>` for the run's own files), wherever the folder was when it was recorded."""
    parts = Path(path).parts
    start = max((i for i, part in enumerate(parts) if part == run_id), default=max(len(parts) - 3, 0))
    return "/".join(parts[start:])
