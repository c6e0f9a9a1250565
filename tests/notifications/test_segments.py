"""SMS segment counting: GSM-7 with its extension table counting double, UCS-2 as soon as
one character is outside GSM-7, 160/153 and 70/67 per segment, and no character split
between two parts."""

from __future__ import annotations

from domain.notifications.segments import Encoding, count


def test_exactly_160_gsm_characters_are_one_sms_and_161_are_two() -> None:
    one = count("a" * 160)
    assert (one.encoding, one.characters, one.units, one.segments) == (Encoding.GSM_7, 160, 160, 1)
    two = count("a" * 161)
    assert (two.segments, two.per_segment) == (2, 153)
    assert count("a" * 306).segments == 2  # 2 x 153
    assert count("a" * 307).segments == 3


def test_one_euro_sign_or_brace_in_160_characters_needs_two_sms() -> None:
    for ext in ("€", "{", "}", "[", "~", "|", "^", "\\"):
        text = "a" * 159 + ext
        counted = count(text)
        assert counted.encoding is Encoding.GSM_7, ext  # still GSM-7, not UCS-2
        assert (counted.characters, counted.units, counted.segments) == (160, 161, 2), ext
    assert count("a" * 158 + "€").segments == 1  # 160 septets exactly


def test_an_extension_character_never_straddles_two_parts() -> None:
    # 152 septets then € (2): it cannot take septets 153-154, so part one holds 152 and
    # € opens part two. 306 septets would fit 2 x 153, but packed they need 3 parts
    text = "a" * 152 + "€" + "a" * 152
    assert count(text).units == 306
    assert count(text).segments == 3
    assert count("a" * 151 + "€" + "a" * 152).segments == 2  # € fills 152-153 exactly


def test_hindi_text_is_ucs2_with_70_and_67_per_part() -> None:
    hindi = "नमस्ते"  # 6 code points, all in the BMP
    assert count(hindi).encoding is Encoding.UCS_2
    seventy = (hindi * 12)[:70]
    assert (count(seventy).units, count(seventy).segments, count(seventy).per_segment) == (
        70,
        1,
        70,
    )
    assert count((hindi * 12)[:71]).segments == 2
    assert count("क" * 134).segments == 2  # 2 x 67
    assert count("क" * 135).segments == 3


def test_one_non_gsm_character_turns_the_whole_message_into_ucs2() -> None:
    text = "a" * 69 + "₹"
    counted = count(text)
    assert (counted.encoding, counted.segments) == (Encoding.UCS_2, 1)
    assert count("a" * 70 + "₹").segments == 2  # was 1 SMS in GSM-7 for 71 letters


def test_emoji_are_surrogate_pairs_that_count_two_and_are_never_split() -> None:
    smile = "😀"
    counted = count("a" * 68 + smile)
    assert (counted.characters, counted.units, counted.segments) == (69, 70, 1)
    assert count("a" * 69 + smile).segments == 2  # 71 units
    # 66 units then an emoji: it cannot take unit 67 and 68 of part one
    split = count("a" * 66 + smile + "a" * 66)
    assert split.units == 134
    assert split.segments == 3
    assert count("a" * 65 + smile + "a" * 66).segments == 2


def test_gsm_basic_characters_outside_ascii_stay_gsm7() -> None:
    assert count("Ça coûte £5 à Göteborg").encoding is Encoding.UCS_2  # û is not GSM-7
    assert count("Ça va? £5 à Göteborg, ñ ü é").encoding is Encoding.GSM_7


def test_empty_text_costs_nothing() -> None:
    assert count("").segments == 0
