"""The explicit platform table: one adapter per platform, no discovery by reflection."""

from __future__ import annotations

from ..models import PLATFORM_LABELS
from .app import AppAdapter
from .base import Adapter
from .web import WebAdapter
from .wechat import WechatAdapter
from .weibo import WeiboAdapter


PLATFORMS: dict[str, Adapter] = {
    "weibo": WeiboAdapter(),
    "wechat": WechatAdapter(),
    "app": AppAdapter(),
    "web": WebAdapter(),
}


#: Checked for every platform, whatever its adapter sees.
EVERY_PLATFORM = "登记表声明的互动页面（interaction）可打开；声明的订阅源（feed）可证明更新"


def capabilities() -> list[dict[str, object]]:
    """What each platform's adapter checks and what it leaves to staff (nmaudit platforms)."""
    return [
        {"platform": name, "label": PLATFORM_LABELS[name], "sources": adapter.sources,
         "checks": list(adapter.checks), "unchecked": list(adapter.unchecked)}
        for name, adapter in PLATFORMS.items()
    ]
