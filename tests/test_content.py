"""Content pre-screening, pure: personal information, the dictionaries, advertising, masking,
keys that survive runs, the office's settings file, and the store keeping decisions."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from nmaudit.content import ScreeningConfig, Screener, WordingEntry, default_wording, load_config, screen
from nmaudit.folding import fold
from nmaudit.dates import BEIJING
from nmaudit.errors import StoreError, UsageError
from nmaudit.models import Account, ContentReview, Observation, RunInfo, SeenText
from nmaudit.rules import judge
from nmaudit.store import Store

TODAY = date(2026, 11, 21)
AS_OF = datetime(2026, 11, 21, 10, tzinfo=BEIJING)


def rules(text: str, screener: Screener | None = None, links=()) -> list[tuple[str, str]]:
    return [(hit.rule, hit.matched) for hit in (screener or Screener()).screen_text(text, links, TODAY)]


# -- dictionaries --------------------------------------------------------------------------------


def test_fold_maps_back_to_the_original():
    plain, index = fold("ＮＰＣ 常委\u200b会")
    assert plain == "npc常委会"
    assert list(index) == [0, 1, 2, 4, 5, 7]


def test_wording_is_width_case_and_space_insensitive():
    screener = Screener(ScreeningConfig(wording=[WordingEntry(wrong="GDP总值", correct="GDP")]))
    assert rules("全市ＧＤＰ 总值突破千亿", screener) == [("wording", "ＧＤＰ 总值")]
    assert rules("全市gdp\u3000总值", screener) == [("wording", "gdp\u3000总值")]
    assert rules("全市GDP突破千亿", screener) == []


def test_the_bundled_list_names_a_source_for_every_entry():
    entries = default_wording()
    assert len(entries) >= 10
    assert all(entry.source and entry.correct and entry.note for entry in entries)
    assert rules("据国家卫生和计划生育委员会通报") == [("wording", "国家卫生和计划生育委员会")]
    assert rules("国家卫生健康委员会") == []


def test_a_correct_form_containing_the_wrong_one_is_not_a_hit():
    screener = Screener(ScreeningConfig(default_wording=False, wording=[
        WordingEntry(wrong="人大", correct="全国人大")]))
    assert rules("全国人大常委会", screener) == []
    assert rules("市人大常委会", screener) == [("wording", "人大")]


def test_sensitive_words_only_from_the_office():
    assert Screener().screen_text("某敏感词", (), TODAY) == []
    screener = Screener(ScreeningConfig(sensitive=["某敏感词"]))
    assert rules("这里有 某 敏感词。", screener) == [("sensitive", "某 敏感词")]


def test_advertising_links_and_wording():
    assert rules("详见 https://item.taobao.com/item.htm?id=1 ，扫码领取优惠") == [
        ("ad-link", "https://item.taobao.com/item.htm?id=1"), ("ad-wording", "扫码领取")]
    assert rules("点击阅读原文", links=["https://shop123.youzan.com/v2/goods/1"]) == [
        ("ad-link", "https://shop123.youzan.com/v2/goods/1")]
    assert rules("见 www.gov.cn/zhengce 与 https://notjd.com.example.org/") == []
    office = Screener(ScreeningConfig(ad_domains=["example-mall.cn"], ad_phrases=[]))
    assert rules("m.example-mall.cn/p/1 扫码领取", office) == [("ad-link", "m.example-mall.cn/p/1")]


# -- screening texts -------------------------------------------------------------------------------


def test_screen_masks_texts_and_hits_and_keys_survive_while_the_text_is_the_same():
    texts = [SeenText(kind="weibo-post", text="联系 13800138000 或 13800138000", url="https://m.weibo.cn/detail/1",
                      title="联系13800138000")]
    masked, hits = screen(texts, Screener(), TODAY)
    assert masked[0].text == "联系 138****8000 或 138****8000" and masked[0].title == "联系138****8000"
    assert [hit.matched for hit in hits] == ["138****8000", "138****8000"]
    assert hits[0].key != hits[1].key  # two occurrences, two decisions
    assert "13800138000" not in hits[0].model_dump_json()
    _, again = screen([texts[0].model_copy(update={"text": "联系  13800138000 或 13800138000"})], Screener(), TODAY)
    assert [hit.key for hit in again] == [hit.key for hit in hits]  # spacing is not a change
    _, changed = screen([texts[0].model_copy(update={"text": "联系 13800138000 或 13800138001"})], Screener(), TODAY)
    assert changed[0].key != hits[0].key


def test_a_match_never_spans_two_lines():
    """Texts keep a line per paragraph; a term or a number split across two is not a hit
    (the end of one paragraph and the start of the next are not one phrase)."""
    screener = Screener(ScreeningConfig(sensitive=["某敏感词"]))
    assert rules("上一段说到某\n敏感词", screener) == []
    assert rules("某敏感\r\n词", screener) == []
    assert rules("某敏感\u2028词", screener) == []
    assert rules("某 敏感词", screener) == [("sensitive", "某 敏感词")]  # spacing within a line still folds
    assert rules("编号139\n1234 5678") == []
    assert rules("电话139 1234 5678") == [("mobile", "139 1234 5678")]


def test_keys_and_snippets_are_the_same_for_blocks_on_lines_as_joined_by_spaces():
    """Texts kept blocks apart by spaces before they kept them on lines: a hit's key (which
    carries staff decisions across runs) does not change with that, and a snippet is one line."""
    joined = SeenText(kind="weibo-post", text="第一段 联系 13800138000", url="https://m.weibo.cn/detail/1")
    lines = joined.model_copy(update={"text": "第一段\n联系 13800138000"})
    _, before = screen([joined], Screener(), TODAY)
    _, after = screen([lines], Screener(), TODAY)
    assert [hit.key for hit in after] == [hit.key for hit in before] and len(after) == 1
    assert after[0].snippet == "第一段 联系 138****8000"


def test_texts_seen_keep_a_line_per_block():
    from nmaudit.platforms.texts import html_text

    text, links = html_text('宝鸡<br />发布<p>平安<b>宝鸡</b> <a href="https://example.gov.cn/">链接</a></p>')
    assert text == "宝鸡\n发布\n平安宝鸡 链接" and links == ["https://example.gov.cn/"]


def test_content_never_changes_a_verdict():
    account = Account(id="a", name="平安宝鸡", platform="weibo", owner="宝鸡市公安局", urls=["https://weibo.com/u/1"])
    seen = Observation(account_id="a", platform="weibo", started_at=AS_OF, checks=["update", "name"],
                       name="平安宝鸡", newest_post_at=AS_OF - timedelta(days=20), newest_post_lists_newest=True)
    with_texts = seen.model_copy(update={"texts": [SeenText(kind="weibo-post", text="身份证11010519491231002X，扫码领取")]})
    assert judge(account, with_texts, AS_OF).model_dump() == judge(account, seen, AS_OF).model_dump()


# -- the office's settings --------------------------------------------------------------------------


def test_settings_file_with_lists_beside_it(tmp_path: Path):
    (tmp_path / "words.txt").write_text("# 本单位敏感词\n某甲\n\n某乙\n", "utf-8")
    (tmp_path / "wording.yaml").write_text("entries:\n  - wrong: 渭滨发布厅\n    correct: 渭滨区新闻发布厅\n", "utf-8")
    settings = tmp_path / "screening.yaml"
    settings.write_text("wording: wording.yaml\nsensitive: words.txt\nad_domains: [mall.example.cn]\n", "utf-8")
    config = load_config(str(settings))
    assert config.sensitive == ["某甲", "某乙"] and config.ad_domains == ["mall.example.cn"]
    assert [entry.wrong for entry in config.wording] == ["渭滨发布厅"] and config.default_wording


@pytest.mark.parametrize("written, message", [
    ("wording: [{correct: x}]\n", r"wording\.0\.wrong: Field required"),
    ("sensitive: missing.txt\n", "sensitive: cannot read"),
    ("wording: [\n", "line 2: not valid YAML"),
    ("colour: red\n", "colour: Extra inputs are not permitted"),
])
def test_bad_settings_say_where_and_why(tmp_path: Path, written, message):
    settings = tmp_path / "screening.yaml"
    settings.write_text(written, "utf-8")
    with pytest.raises(UsageError, match=message):
        load_config(str(settings))


# -- the store: hits beside the judgement, decisions carried forward while the text is the same --------


def stored_run(store: Store, run_id: str, as_of: datetime, text: str) -> None:
    from nmaudit.audit import keep  # the audit's own keeping step (screening included)
    from nmaudit.snapshots import AccountEvidence

    account = Account(id="a", name="平安宝鸡", platform="weibo", owner="宝鸡市公安局", urls=["https://weibo.com/u/1"])
    run = RunInfo(id=run_id, as_of=as_of, registry="r.yaml", started_at=as_of)
    store.start_run(run, [account], registry_sha256="x", tool_version="t", browser="b", options={})
    seen = Observation(account_id="a", platform="weibo", started_at=as_of, name="平安宝鸡",
                       texts=[SeenText(kind="weibo-post", text=text)])
    keep(store, run, account, seen, AccountEvidence(str(Path(store.path).parent / "snapshots"), run_id, "a"))


def test_a_dismissed_hit_stays_dismissed_while_the_text_is_the_same(tmp_path: Path):
    store = Store(tmp_path / "nmaudit.db")
    stored_run(store, "run-1", AS_OF, "咨询 13800138000，扫码领取")
    [phone, advert] = store.load_run("run-1").results[0].content_hits
    assert (phone.rule, advert.rule) == ("mobile", "ad-wording") and phone.status == advert.status == "open"
    at = AS_OF + timedelta(hours=1)
    store.add_content_review(ContentReview(run_id="run-1", account_id="a", key=phone.key, decision="dismiss",
                                           reviewer="张三", reason="单位公开的咨询电话", at=at))
    store.add_content_review(ContentReview(run_id="run-1", account_id="a", key=advert.key, decision="confirm",
                                           reviewer="张三", at=at))
    with pytest.raises(StoreError, match="no content hit"):
        store.add_content_review(ContentReview(run_id="run-1", account_id="a", key="0" * 64, decision="dismiss",
                                               reviewer="张三", at=at))
    statuses = [(hit.status, hit.reviewer) for hit in store.load_run("run-1").results[0].content_hits]
    assert statuses == [("dismissed", "张三"), ("confirmed", "张三")]

    stored_run(store, "run-2", AS_OF + timedelta(days=7), "咨询 13800138000，扫码领取")
    assert [hit.status for hit in store.load_run("run-2").results[0].content_hits] == ["dismissed", "confirmed"]
    stored_run(store, "run-3", AS_OF + timedelta(days=14), "咨询 13800138000，扫码领取。更新")
    assert [hit.status for hit in store.load_run("run-3").results[0].content_hits] == ["open", "open"]
    # An earlier check time does not see later decisions.
    stored_run(store, "run-0", AS_OF - timedelta(days=7), "咨询 13800138000，扫码领取")
    assert [hit.status for hit in store.load_run("run-0").results[0].content_hits] == ["open", "open"]
    # The verdict is the machine's either way.
    assert store.load_run("run-2").results[0].judgement == store.load_run("run-2", reviewed=False).results[0].judgement


def test_fold_positions_agree_with_folding_character_by_character():
    from nmaudit.folding import _fold_char
    import random

    rng = random.Random(15)
    alphabet = "aBΣ ＡＢ\u200b\u3000\t\n\r\u2028中文㈱½İ"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        for keep_space in (False, True):
            plain, index = fold(text, keep_space)
            pieces = [_fold_char(char, keep_space) for char in text]
            assert plain == "".join(pieces)
            assert list(index) == [position for position, piece in enumerate(pieces) for _ in piece]


def test_a_bad_settings_file_stops_the_audit_before_anything_is_written(tmp_path: Path):
    import subprocess
    import sys

    (tmp_path / "accounts.yaml").write_text(
        "version: 1\naccounts:\n  - id: a\n    name: 平安宝鸡\n    platform: weibo\n    owner: 宝鸡市公安局\n"
        "    urls: [https://weibo.com/u/1]\n", "utf-8")
    (tmp_path / "screening.yaml").write_text("wording:\n  - correct: 国家卫生健康委员会\n", "utf-8")
    done = subprocess.run([sys.executable, "-m", "nmaudit", "audit", "accounts.yaml", "--screening", "screening.yaml"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "screening.yaml: wording.0.wrong: Field required" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "nmaudit.db").exists()
