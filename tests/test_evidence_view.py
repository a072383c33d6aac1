"""Evidence as a reviewer opens it: the screenshots load in a browser and show Chinese text.

Uses pytest-playwright's `page` (sync API) to look at what the audit kept.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from nmaudit.dates import BEIJING
from tests.conftest import run_audit, weibo_account
from tests.weibo_site import WeiboAccount, WeiboSite, days_before, posts_at

pytestmark = pytest.mark.browser
AS_OF = datetime(2026, 11, 21, 10, tzinfo=BEIJING)


@pytest.fixture(scope="module")
def kept(emulator, tmp_path_factory):
    WeiboSite(emulator).add(WeiboAccount("3500000001", posts=posts_at(days_before(AS_OF, 1))))
    folder = tmp_path_factory.mktemp("evidence")
    return run_audit(emulator, [weibo_account("viewed", "3500000001")], folder, as_of=AS_OF).results[0]


def test_screenshots_are_viewport_jpegs_that_open(kept, page):
    shots = [path for path in kept.observation.evidence if path.endswith(".jpg")]
    assert len(shots) == 2
    for shot in shots:
        page.goto(f"file://{shot}")
        size = page.evaluate("() => [document.images[0].naturalWidth, document.images[0].naturalHeight]")
        assert size == [1280, 900]


def test_chinese_renders_with_a_cjk_font_not_boxes(page):
    page.set_content('<span id="zh" style="font-size:40px">宝鸡发布</span>')
    # Without a CJK font every glyph falls back to the same-width box (tofu) or to nothing;
    # with one, the four ideographs are about four em wide.
    width = page.evaluate("() => document.getElementById('zh').getBoundingClientRect().width")
    assert 140 <= width <= 180
    fonts = page.evaluate("() => document.fonts.check('40px sans-serif', '宝鸡')")
    assert fonts
