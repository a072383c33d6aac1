"""Personal information (nmaudit.personal), pure: resident ID numbers (province, birth date,
check character), bank cards (prefix and Luhn), mobile numbers, and masking. These tests are
what `make mutate` runs against the module: every mutant of it must fail one of them."""

from __future__ import annotations

from datetime import date

import pytest

from nmaudit.personal import luhn, mask, personal_information, valid_resident_id

TODAY = date(2026, 11, 21)


def rules(text: str) -> list[tuple[str, str]]:
    """What the checks find in `text`: (rule, the text found), in order."""
    return [(span.rule, text[span.start:span.end]) for span in personal_information(text, TODAY)]


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


