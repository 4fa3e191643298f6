"""Text cleanup for Chinese news, and a small sentence splitter.

`normalize` is not full NFKC: NFKC would also turn Chinese punctuation (，！？：；)
into ASCII, which changes how the text reads. Only full-width letters, digits,
space and a few number-related symbols are folded to ASCII.
"""

from __future__ import annotations

import re

# Full-width forms folded to ASCII: digits, letters, and symbols that live inside
# numbers, codes and addresses. Chinese punctuation (，。！？：；（）“”) stays.
_FOLD = (
    "".join(chr(c) for c in range(0xFF10, 0xFF1A))  # ０-９
    + "".join(chr(c) for c in range(0xFF21, 0xFF3B))  # Ａ-Ｚ
    + "".join(chr(c) for c in range(0xFF41, 0xFF5B))  # ａ-ｚ
    + "％＋－．／＝＠＃＄＆＿＜＞＊＾｀＼"
)
_TABLE: dict[int, str | None] = {ord(c): chr(ord(c) - 0xFEE0) for c in _FOLD}
_TABLE.update({0x3000: " ", 0xA0: " ", 0x202F: " ", 0x2007: " ", 0x09: " ", 0x0B: " ", 0x0C: " "})
# zero-width characters, BOM, soft hyphen, bidi marks: dropped
for _cp in (
    0x200B,
    0x200C,
    0x200D,
    0x200E,
    0x200F,
    0x2060,
    0xFEFF,
    0xAD,
    0x202A,
    0x202B,
    0x202C,
    0x202D,
    0x202E,
):
    _TABLE[_cp] = None
# lone surrogates (what a JSON "\\ud800" decodes to; no text holds them, and they cannot be stored): dropped
for _cp in range(0xD800, 0xE000):
    _TABLE[_cp] = None
# other C0/C1 control characters (not \n, \r, which are handled as line ends): dropped
for _cp in list(range(0x00, 0x20)) + list(range(0x7F, 0xA0)):
    if _cp not in (0x0A, 0x0D, 0x09, 0x0B, 0x0C):
        _TABLE[_cp] = None

# A superset of the table's keys, as ranges: much faster to scan for than a long list.
_NEEDS_TABLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u2007\u200b-\u200f\u202a-\u202f\u2060\ufeff\ud800-\udfff"
    "\uff10-\uff19\uff21-\uff3a\uff41-\uff5a" + re.escape(_FOLD[62:]) + "]"
)


# A zero-width joiner between two pictographs builds one emoji (👨‍👩‍👧): kept there, dropped elsewhere.
_EMOJI = "\u2600-\u27bf\U0001f000-\U0001faff"
_EMOJI_ZWJ = re.compile(f"(?<=[{_EMOJI}\ufe0f])\u200d(?=[{_EMOJI}])")


def _fold_one(m: re.Match[str]) -> str:
    ch = m.group()
    if ch == "\u200d" and _EMOJI_ZWJ.match(m.string, m.start()):
        return ch
    return _TABLE.get(ord(ch), ch) or ""


_SPACES = re.compile(r" {2,}")
_LINE_EDGE = re.compile(r" *\n *")
_BLANK_RUNS = re.compile(r"\n{3,}")


def normalize(text: str) -> str:
    """Clean one text: half-width letters/digits/space, no invisible or control
    characters, \\n line ends, single spaces, no paragraph indents, no blank runs
    of more than one empty line, no surrounding white space."""
    if not text:
        return ""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    for common in ("\u3000", "\xa0", "\t"):  # str.replace is far faster than translate
        if common in text:
            text = text.replace(common, " ")
    text = _NEEDS_TABLE.sub(_fold_one, text)
    if "  " in text:
        text = _SPACES.sub(" ", text)
    if "\n" in text:
        if " \n" in text or "\n " in text:
            text = _LINE_EDGE.sub("\n", text)
        if "\n\n\n" in text:
            text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip()


# every full-width ASCII form (punctuation too) and the ideographic space, as ASCII: for comparing texts
# (copy detection, dates), where how a character is written does not matter; `normalize` keeps Chinese
# punctuation, which changes how a text reads
_WIDE_TABLE = str.maketrans({chr(0xFF01 + i): chr(0x21 + i) for i in range(94)} | {"\u3000": " ", "\xa0": " "})
_WIDE = re.compile("[\uff01-\uff5e\u3000\xa0]")


def fold_width(text: str) -> str:
    """Full-width letters, digits, punctuation and spaces as their ASCII forms."""
    return text.translate(_WIDE_TABLE) if _WIDE.search(text) else text


def is_cjk(ch: str) -> bool:
    """A CJK ideograph (the basic block and extension A)."""
    return "\u3400" <= ch <= "\u9fff"


_END = "。！？!?；"
_CLOSE = "”’」』）)"
_SENTENCE = re.compile(rf"[^{_END}\n]+(?:[{_END}]+[{_CLOSE}]*)?|[{_END}]+[{_CLOSE}]*")


def split_sentences(text: str) -> list[str]:
    """Split on 。！？!?； and line ends. End punctuation and the closing quotes or
    brackets right after it stay with the sentence they end."""
    out = []
    for m in _SENTENCE.finditer(text):
        s = m.group().strip()
        if s:
            out.append(s)
    return out
