"""Bytes to text for Chinese sources: BOMs, UTF-8, GB18030/GBK, then a guess."""

from __future__ import annotations

import re

from xinwen.errors import ReadError

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# CJK ideographs and punctuation, plus the symbols GBK text carries: “”—…·×①□★
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef\u2010-\u206f\u00b7\u00d7\u2460-\u26ff]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# control bytes that never occur in text (tab, LF, VT, FF, CR and ESC are allowed)
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


def _binary(name: str, why: str = "") -> ReadError:
    return ReadError("binary file, not text" + (f" ({why})" if why else ""), file=name)


def _looks_chinese(text: str) -> bool:
    """True when the non-ASCII characters are mostly CJK (what GBK text decodes to);
    GB18030 decodes nearly any byte string, mostly into rare characters."""
    non_ascii = _NON_ASCII.findall(text[:20000])
    if not non_ascii:
        return True
    cjk = sum(1 for c in non_ascii if _CJK.match(c))
    return cjk / len(non_ascii) >= 0.8


def choose_codec(head: bytes, *, name: str) -> str:
    """The codec of a file from its first bytes: its BOM, strict UTF-8 (a character cut at the end of
    the head allowed), GB18030 when that reads as Chinese, then charset-normalizer's guess.
    Raise ReadError(file=name) for binary data."""
    for bom, codec in _BOMS:
        if head.startswith(bom):  # utf-16 and utf-32 read their own BOM and its byte order
            return codec if codec == "utf-8-sig" else codec[:6]
    if b"\x00" in head:
        raise _binary(name, "contains NUL bytes")
    if len(_CONTROL_BYTES.findall(head)) > max(8, len(head) // 100):
        raise _binary(name, "contains control bytes")
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as e:
        if e.start >= len(head) - 3 and e.reason == "unexpected end of data":
            return "utf-8"  # the head ends inside a character
    try:
        text = head.decode("gb18030")
    except UnicodeDecodeError as e:
        text = head[: e.start].decode("gb18030") if e.start >= len(head) - 1 else None
    if text is not None and _looks_chinese(text):
        return "gb18030"
    from charset_normalizer import from_bytes  # slow to import; rarely needed

    best = from_bytes(head).best()
    if best is None:
        raise _binary(name, "no text encoding fits")
    return str(best.encoding)


def decode_bytes(data: bytes, *, name: str) -> str:
    """Decode a file's bytes: BOM, strict UTF-8, GB18030 when it reads as Chinese,
    then charset-normalizer's guess. Raise ReadError(file=name) for binary data."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec.removesuffix("-sig"))
            except UnicodeDecodeError as e:
                raise ReadError(
                    f"starts with a {codec} byte order mark but does not decode: {e.reason}", file=name
                ) from e
    codec = choose_codec(data[:65536], name=name)
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        if codec in ("utf-8", "gb18030"):
            return _decode_rest(data, name)
        return data.decode(codec, errors="replace")


def _decode_rest(data: bytes, name: str) -> str:
    """The whole file, when its head looked like one codec and the rest does not decode that way."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
        if _looks_chinese(text):
            return text
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise _binary(name, "no text encoding fits")
    return str(best)
