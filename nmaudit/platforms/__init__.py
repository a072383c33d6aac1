"""The explicit platform table: one adapter per platform, no discovery by reflection."""

from __future__ import annotations

from ..models import Account, Observation, PLATFORM_LABELS
from .app import AppAdapter
from .base import Adapter, Fetch
from .web import WebAdapter
from .wechat import WechatAdapter
from .weibo import WeiboAdapter


class UnsupportedAdapter:
    """A platform without an adapter yet: audited as `review`, so nothing passes unseen."""

    checks: tuple = ()
    unchecked = ("update", "interaction", "name", "certification", "availability")

    def __init__(self, platform: str):
        self.platform = platform

    def hosts(self, account: Account) -> list[str]:
        return []

    async def observe(self, account: Account, observation: Observation, fetch: Fetch) -> None:
        label = PLATFORM_LABELS.get(self.platform, self.platform)
        observation.add_signal("unsupported", f"暂不支持自动检查{label}账号，需人工核查")


PLATFORMS: dict[str, Adapter] = {
    "weibo": WeiboAdapter(),
    "wechat": WechatAdapter(),
    "app": AppAdapter(),
    "web": WebAdapter(),
}
