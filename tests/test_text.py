"""Text cleanup keeps what a reader sees and drops what nobody sees."""

from xinwen.text import normalize


def test_emoji_joined_by_zwj_stays_one_emoji():
    family = "👨\u200d👩\u200d👧"
    assert normalize(f"一家人{family}出游") == f"一家人{family}出游"


def test_stray_zero_width_joiner_between_chinese_is_dropped():
    assert normalize("上海\u200d宝山\u200b区") == "上海宝山区"
