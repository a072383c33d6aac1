"""Personal information (nmaudit.personal), pure: resident ID numbers (province, birth date,
check character), bank cards (prefix and Luhn), mobile numbers, and masking. These tests are
what `make mutate` runs against the module: every mutant of it must fail one of them."""

from __future__ import annotations

from datetime import date, timedelta

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




def with_check(first17: str) -> str:
    return first17 + iso7064_check(first17)


@pytest.mark.parametrize("born, valid", [
    ("19000101", True),  # the first day counted
    ("18991231", False),
    (f"{TODAY:%Y%m%d}", True),  # born on the check day: still a real date of birth
    (f"{TODAY + timedelta(days=1):%Y%m%d}", False),
    ("19900210", True),  # day 10: both digits of the day count
    ("19900229", False),  # no 29 February in 1990
    ("19901131", False),
    ("19921231", True),
])
def test_birth_dates_from_1900_to_the_check_day(born, valid):
    assert valid_resident_id(with_check(f"440526{born}123"), TODAY) is valid


@pytest.mark.parametrize("number", [
    with_check("44052619900210123") + "1",  # 19 characters
    with_check("44052619900210123")[:-2] + with_check("44052619900210123")[-1],  # 17 characters
    "4405261990021a1234",  # a letter among the first 17
])
def test_only_eighteen_characters_seventeen_of_them_digits(number):
    assert valid_resident_id(number, TODAY) is False


def reference_luhn(digits: str) -> bool:
    """Luhn by its definition: every second digit from the right doubled, the digits of the
    products summed with the others; valid when the sum ends in 0."""
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 else 1)
        total += sum(int(d) for d in str(value))
    return total % 10 == 0


def test_luhn_agrees_with_its_definition_on_every_number_to_five_digits():
    for number in range(100000):
        digits = f"{number:05d}"
        assert luhn(digits) is reference_luhn(digits), digits


def card_number(prefix: str, body: str) -> str:
    """`prefix` + `body` + the Luhn digit that makes it valid."""
    return next(candidate for d in "0123456789" if reference_luhn(candidate := prefix + body + d))


def test_an_eighteen_digit_number_that_reads_as_an_id_is_not_taken_for_a_card():
    """Gansu's province code is also UnionPay's prefix: an 18-digit number with a real birth date
    where an ID number has one is no bank card (its ID checksum may be wrong: it is a typo'd ID,
    or nothing); the same digits with an impossible date may be a card."""
    like_id = card_number("62", "052619900210123")
    assert len(like_id) == 18 and reference_luhn(like_id)
    assert [rule for rule, _ in rules(f"号码 {like_id} 。")] in ([], ["id-card"])
    not_a_date = card_number("62", "052619901310123")  # month 13
    assert [rule for rule, _ in rules(f"号码 {not_a_date} 。")] == ["bank-card"]


def test_an_id_number_ending_in_x_looks_like_one():
    from nmaudit.personal import looks_like_resident_id

    assert looks_like_resident_id("44052619900210123X")
    assert not looks_like_resident_id("440526199002101234X")  # 19 characters
    assert not looks_like_resident_id("440526199013101234")  # month 13
    assert not looks_like_resident_id("100526199002101234")  # no province 10


@pytest.mark.parametrize("prefix", ["62", "4", "51", "52", "53", "54", "55"])
def test_every_card_prefix_banks_issue(prefix):
    number = card_number(prefix, "1" * (15 - len(prefix)))
    assert len(number) == 16 and [rule for rule, _ in rules(f"卡号 {number} 。")] == ["bank-card"]


def test_a_mobile_number_followed_by_a_space_and_more_digits_is_still_one():
    """Spaces separate numbers: 13800138000 then 1234 is a mobile number and another number."""
    assert rules("联系 13800138000 1234 号") == [("mobile", "13800138000")]


def test_masking_judges_birth_dates_against_the_day_it_is_given():
    """An ID number born after the given day is no ID number that day (nothing to mask)."""
    later = with_check(f"440526{TODAY + timedelta(days=5):%Y%m%d}123")
    assert mask(f"号码 {later}", TODAY) == f"号码 {later}"
    assert mask(f"号码 {later}", TODAY + timedelta(days=5)) != f"号码 {later}"
