"""Bytes to text (xinwen.encoding) and text cleanup (xinwen.text)."""

import pytest

from xinwen.encoding import decode_bytes
from xinwen.errors import ReadError
from xinwen.text import normalize, split_sentences

CHINESE = "上海宝山以非常之力求突破、再提升，打造全市绿色低碳转型样板。“北转型”不仅要干在实处！"


@pytest.mark.parametrize("codec", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "gbk", "gb18030"])
def test_decodes_chinese(codec: str) -> None:
    data = CHINESE.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    assert decode_bytes(data, name="x.txt") == CHINESE


def test_utf8_bom_is_dropped() -> None:
    assert decode_bytes(b"\xef\xbb\xbf" + "标题".encode(), name="x") == "标题"


def test_gbk_with_symbols() -> None:
    text = "他说：“好！”——共计①②项，价格×2，时间·地点。" * 3
    assert decode_bytes(text.encode("gbk"), name="x") == text


def test_gb18030_only_characters() -> None:
    text = "新闻：𠀀字与€符号" + CHINESE
    assert decode_bytes(text.encode("gb18030"), name="x") == text


def test_ascii() -> None:
    assert decode_bytes(b"title,body\na,b\n", name="x") == "title,body\na,b\n"


def test_non_chinese_legacy_text_falls_to_charset_normalizer() -> None:
    text = "Le café est très réputé à Paris. Déjà vu, naïve façade. " * 4
    out = decode_bytes(text.encode("cp1252"), name="x")  # not UTF-8, not GB18030: a guess
    assert out.startswith("Le caf") and "Paris" in out and len(out) == len(text)


@pytest.mark.parametrize(
    "data",
    [bytes(range(256)) * 4, b"PK\x03\x04\x00\x00binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"],
)
def test_binary(data: bytes) -> None:
    with pytest.raises(ReadError) as info:
        decode_bytes(data, name="pic.png")
    assert "binary file, not text" in str(info.value)
    assert info.value.file == "pic.png"


def test_control_bytes_are_binary() -> None:
    with pytest.raises(ReadError, match="binary"):
        decode_bytes(bytes([1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 16, 17, 18, 19]) * 20, name="x")


def test_bad_bom() -> None:
    with pytest.raises(ReadError, match="byte order mark"):
        decode_bytes(b"\xff\xfe\x00", name="x")


# --- text.normalize -----------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("深圳地铁将设立ＶＩＰ头等车厢　买双倍票", "深圳地铁将设立VIP头等车厢 买双倍票"),
        ("２０１２年６月１２日，增长１５％", "2012年6月12日，增长15%"),
        ("他说：“好！”（图）；真的？", "他说：“好！”（图）；真的？"),  # Chinese punctuation stays
        ("\ufeff标题\u200b正文\u200d", "标题正文"),
        ("a\x00b\x07c\x1bd", "abcd"),
        ("第一段\r\n\r\n第二段\r第三段", "第一段\n\n第二段\n第三段"),
        ("\u3000\u3000第一段。\n\u3000\u3000第二段。", "第一段。\n第二段。"),
        ("a   b\t\tc\xa0 d", "a b c d"),
        ("一\n\n\n\n\n二", "一\n\n二"),
        ("  行尾空格   \n  行首空格", "行尾空格\n行首空格"),
        ("", ""),
    ],
)
def test_normalize(raw: str, clean: str) -> None:
    assert normalize(raw) == clean


def test_normalize_keeps_the_sample_page(tmp_path) -> None:
    from importlib.resources import files

    text = files("xinwen").joinpath("data/news-page.txt").read_text(encoding="utf-8")
    assert normalize(text) == text


def test_normalize_is_idempotent() -> None:
    raw = "\u3000\u3000ＡＢＣ　１２３，“引号”\r\n\r\n\r\n下一段\u200b"
    once = normalize(raw)
    assert normalize(once) == once


# --- text.split_sentences -----------------------------------------------------------


def test_split_sentences() -> None:
    text = "他说：“今天天气很好。”然后走了！真的吗？是的!对?分号；后面\n新的一行（括号里。）结尾"
    assert split_sentences(text) == [
        "他说：“今天天气很好。”",
        "然后走了！",
        "真的吗？",
        "是的!",
        "对?",
        "分号；",
        "后面",
        "新的一行（括号里。）",
        "结尾",
    ]


def test_split_sentences_runs_of_marks_and_quotes() -> None:
    assert split_sentences("什么？！”他问。「好的。」") == ["什么？！”", "他问。", "「好的。」"]
    assert split_sentences("") == []
    assert split_sentences("\n\n  \n") == []
    assert split_sentences("没有句号") == ["没有句号"]
