"""The pages behind the sample registry (accounts.yaml), for recording snapshots/sample.har.

`make sample` runs this: it serves the fixtures on the real host names and audits
accounts.yaml with --record, so `make demo` can replay the capture offline.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from tempfile import TemporaryDirectory

from nmaudit.dates import now
from tests.app_site import AppSite, AppStoreApp, Download, apk_reply
from tests.emulator import Emulator, NOT_FOUND, html_reply
from tests.bilibili_site import BilibiliSite, BilibiliUser
from tests.douyin_site import DouyinSite, DouyinUser
from tests.feed_site import Entry, bridge_atom
from tests.wechat_site import Album, Article, SogouAccount, WechatSite
from tests.weibo_site import (
    USER_GONE, VISITOR_WALL, Post, WeiboAccount, WeiboSite, days_before, posts_at, weibo_time,
)

ROOT = Path(__file__).resolve().parent.parent

CONSULTATION_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>咨询投诉 - 宝鸡市人民政府</title></head>
<body><h1>咨询投诉</h1><form method="post" action="/hdjl/zxts/submit">
<label>标题 <input name="title"></label><label>内容 <textarea name="content"></textarea></label>
<button type="submit">提交</button></form><p>办理时限：5个工作日内答复。</p></body></html>"""


def demo_site(emulator: Emulator, reference: datetime) -> WeiboSite:
    """The accounts of accounts.yaml, as they look at `reference`."""
    site = WeiboSite(emulator)
    site.add(WeiboAccount("2710000001", profile="renders", posts=posts_at(
        days_before(reference, 1, 18, 30), days_before(reference, 2, 9, 5), days_before(reference, 4),
        pinned_first=days_before(reference, 400))))
    site.add(WeiboAccount("2710000002", screen_name="宝鸡发布", verified_reason="宝鸡市人民政府新闻办公室官方微博",
                          new_containerid=True,
                          posts=[Post("3小时前", "【宝鸡发布】全市冬季供暖今日起全面启动"), Post("昨天 16:40"),
                                 Post(weibo_time(days_before(reference, 3)))]))
    site.add(WeiboAccount("2710000003", screen_name="宝鸡市场监管", verified_reason="宝鸡市市场监督管理局官方微博",
                          posts=posts_at(days_before(reference, 10), days_before(reference, 16))))
    site.add(WeiboAccount("2710000004", screen_name="渭滨发布", verified_reason="宝鸡市渭滨区人民政府办公室",
                          grouped=True, posts=posts_at(days_before(reference, 23), days_before(reference, 41))))
    site.add(WeiboAccount("2710000005", screen_name="陈仓交警在线", verified_reason="宝鸡市陈仓区融媒体中心",
                          posts=posts_at(days_before(reference, 2))))
    site.add(WeiboAccount("2710000006", info=USER_GONE))
    site.add(WeiboAccount("2710000007", info=VISITOR_WALL))
    site.add(WeiboAccount("2710000008", screen_name="凤翔发布", verified_reason="宝鸡市凤翔区人民政府办公室",
                          posts=posts_at(days_before(reference, 5))))
    emulator.add("https://www.baoji.gov.cn/hdjl/zxts/", html_reply(CONSULTATION_PAGE))
    emulator.add("https://www.fengxiang.gov.cn/hdjl/ldxx/", NOT_FOUND)

    wechat = WechatSite(emulator)
    wechat.publish("2710000101", Album([days_before(reference, 1, 19, 30), days_before(reference, 3),
                                        days_before(reference, 6)]))
    wechat.publish("2710000102", Album([days_before(reference, 18), days_before(reference, 25)],
                                       name="太白发布", title="太白要闻"))
    wechat.publish("qishanfabu0001", Article(days_before(reference, 20), nickname="岐山发布",
                                             title="岐山县召开秋冬季森林防火工作会议"))
    wechat.publish("linyoufabu0001", Article(days_before(reference, 9), nickname="麟游发布",
                                             title="麟游县2026年冬季征兵工作启动"))
    # Sogou: 岐山发布 is filed only as an article; 眉县发布 only by its 微信号 (listed second).
    wechat.sogou_results("岐山发布", [SogouAccount("岐山发布", "宝鸡市岐山县人民政府办公室",
                                                   days_before(reference, 19, 17), "qishanfabu")])
    wechat.sogou_results("meixianfabu", [
        SogouAccount("眉县发布厅", "眉县文化馆", days_before(reference, 1), "meixianfabuting"),
        SogouAccount("眉县发布", "宝鸡市眉县人民政府办公室", days_before(reference, 2, 20, 15), "meixianfabu")])
    emulator.add("https://wxrss.baoji.gov.cn/feeds/linyoufabu.atom", html_reply(bridge_atom("麟游发布", [
        Entry("麟游县开展冬季供暖安全检查", published=days_before(reference, 1, 9).isoformat()),
        Entry("麟游县2026年冬季征兵工作启动", published=days_before(reference, 9).isoformat()),
    ])))

    apps = AppSite(emulator)
    apps.add(AppStoreApp("6470000001"))
    apps.add(Download("https://www.baoji.gov.cn/app/baojizhengwu.apk", apk_reply()))
    apps.add(AppStoreApp("6470000002", listed=False, track_name="岐山政务", artist_name="岐山县人民政府办公室"))

    # Douyin and Bilibili: profile pages whose own scripts sign their calls and render the answers.
    DouyinSite(emulator).add(emulator, DouyinUser(
        "MS4wLjABAAAA-baoji-police", "平安宝鸡", custom_verify="宝鸡市公安局官方账号", unique_id="baojijingfang",
        posts=[(days_before(reference, 380), True), (days_before(reference, 2, 20), False),
               (days_before(reference, 5), False)]))
    BilibiliSite(emulator).add(emulator, BilibiliUser(
        "3546000101", "宝鸡文旅", "宝鸡市文化和旅游局官方账号", 6,
        videos=[days_before(reference, 19), days_before(reference, 33)]))
    return site


def record(har: Path = ROOT / "snapshots" / "sample.har") -> dict:
    """Audit accounts.yaml against the fixtures and keep the capture; returns the run's JSON."""
    with Emulator() as emulator, TemporaryDirectory() as scratch:
        demo_site(emulator, now())
        command = [
            sys.executable, "-m", "nmaudit", "audit", str(ROOT / "accounts.yaml"),
            "--record", str(har), "--pace", "0", "--sogou-pace", "0", "--db", f"{scratch}/record.db",
            "--snapshots", f"{scratch}/snapshots", "--format", "json", "--output", f"{scratch}/run.json",
            *[f"--browser-arg={arg}" for arg in emulator.browser_args],
        ]
        subprocess.run(command, check=True, cwd=ROOT, env=dict(os.environ, NO_COLOR="1"))
        return json.loads(Path(f"{scratch}/run.json").read_text(encoding="utf-8"))


if __name__ == "__main__":
    target = ROOT / "snapshots" / "sample.har"
    record(target)
    print(f"recorded {target.relative_to(ROOT)} ({target.stat().st_size // 1024} KiB)")
