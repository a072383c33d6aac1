"""Content pre-screening, pure: personal information, the dictionaries, advertising, masking,
keys that survive runs, the office's settings file, and the store keeping decisions."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from nmaudit.content import ScreeningConfig, Screener, WordingEntry, default_wording, load_config, screen
from nmaudit.folding import fold
from nmaudit.personal import luhn, mask, personal_information, valid_resident_id
from nmaudit.dates import BEIJING
from nmaudit.errors import StoreError, UsageError
from nmaudit.models import Account, ContentReview, Observation, RunInfo, SeenText
from nmaudit.rules import judge
from nmaudit.store import Store

TODAY = date(2026, 11, 21)
AS_OF = datetime(2026, 11, 21, 10, tzinfo=BEIJING)


def rules(text: str, screener: Screener | None = None, links=()) -> list[tuple[str, str]]:
    return [(hit.rule, hit.matched) for hit in (screener or Screener()).screen_text(text, links, TODAY)]


# -- personal information ---------------------------------------------------------------------


@pytest.mark.parametrize("number, valid", [
    ("11010519491231002X", True),  # GB 11643's example
    ("11010519491231002x", True),  # a lower-case check character
    ("110105194912310021", False),  # wrong check character
    ("440524188001010014", False),  # checksum holds, but born 1880: not plausible
    ("110105202701010011", False),  # born after the check date
    ("990105194912310026", False),  # no such province
    ("110105194902300020", False),  # 30 February
])
def test_resident_id_numbers(number, valid):
    assert valid_resident_id(number, TODAY) is valid


def test_the_checksum_rule_itself():
    # Change any digit of a valid number: the checksum no longer holds.
    base = "11010519491231002X"
    for position in range(17):
        changed = base[:position] + str((int(base[position]) + 1) % 10) + base[position + 1:]
        if valid_resident_id(changed, TODAY):
            pytest.fail(f"{changed} accepted")


def iso7064_check(first17: str) -> str:
    """The check character by the standard's own formula (not the table the code uses):
    (12 - sum(digit * 2^(17-i) mod 11) mod 11) mod 11, 10 written X."""
    total = sum(int(digit) * pow(2, 17 - i, 11) for i, digit in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def test_every_check_character_is_accepted_where_it_is_right_and_only_there():
    """Eleven numbers, one for each check character 0-9 and X (the sequence digits varied):
    each valid with its own check character, invalid with any of the ten others."""
    seen = {}
    for sequence in range(1000):
        first17 = f"11010519491231{sequence:03d}"
        seen.setdefault(iso7064_check(first17), first17)
        if len(seen) == 11:
            break
    assert sorted(seen) == sorted("0123456789X")
    for check, first17 in seen.items():
        assert valid_resident_id(first17 + check, TODAY), first17 + check
        for other in "0123456789X":
            if other != check:
                assert not valid_resident_id(first17 + other, TODAY), first17 + other


def test_every_weight_counts():
    """A number without a 0 among its first 17 digits: any change to one weight of the checksum
    moves the sum by that digit (1-9, never a multiple of 11), so the check character no longer
    holds."""
    for first17 in ("44252619891228123", "53312819771119987"):
        assert "0" not in first17
        assert valid_resident_id(first17 + iso7064_check(first17), TODAY)


PROVINCES = (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54,
             61, 62, 63, 64, 65, 71, 81, 82, 83)


@pytest.mark.parametrize("province", range(10, 100))
def test_only_real_province_codes(province):
    """GB/T 2260's province-level codes (and 71, 81-83 for the residence permits), and no other."""
    first17 = f"{province}252619891228123"
    assert valid_resident_id(first17 + iso7064_check(first17), TODAY) is (province in PROVINCES)


def test_luhn():
    assert luhn("6222020200112233446") and not luhn("6222020200112233445")
    assert luhn("4111111111111111")


def test_personal_information_found_and_masked():
    text = "身份证：11010519491231002X；手机 138-0013-8000；卡号 6222 0202 0011 2233 446；编号110105194912310021。"
    assert rules(text) == [("id-card", "11010519491231002X"), ("mobile", "138-0013-8000"),
                           ("bank-card", "6222 0202 0011 2233 446")]
    masked = mask(text, TODAY)
    # first four and last four digits kept, separators and length too
    assert masked == "身份证：1101**********002X；手机 138-****-8000；卡号 6222 **** **** ***3 446；编号110105194912310021。"
    assert len(masked) == len(text)
    assert "110105194912310021" in masked  # not an ID number: left as written


def test_full_width_digits_and_a_country_code():
    assert rules("电话：＋86 １３９１２３４５６７８") == [("mobile", "＋86 １３９１２３４５６７８")]
    assert mask("电话：＋86 １３９１２３４５６７８", TODAY) == "电话：＋86 １３９****５６７８"


def test_digits_inside_longer_numbers_are_not_phones():
    assert rules("订单号 2024138001380001234 已发货") == []
    assert rules("1380013800012") == []


def test_a_bank_card_needs_a_card_prefix_and_luhn():
    assert rules("流水号 1234567812345670") == []  # passes Luhn, not a card prefix
    assert rules("卡号 4111111111111111") == [("bank-card", "4111111111111111")]


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
