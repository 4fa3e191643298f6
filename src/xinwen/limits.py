"""The bounds that keep one hostile or broken input from taking a whole machine: what is read, fetched,
decompressed and analyzed. Each has a default a user can change with $XINWEN_LIMITS
("name=value,name=value", sizes in bytes or with K/M/G, times in seconds), or in Python with
`Limits(...)`.

- analyzed_chars: the characters of a body that are analyzed (tags, index terms, fingerprint, copy
  check); a longer body is stored whole, and only its first analyzed_chars are searchable and compared.
- record_bytes: one record as read (a JSON line, a CSV row, an HTML page, a feed, a news page).
- decompressed_bytes: a .gz file, counted as it is decompressed (reading stops at the bound).
- compression_ratio: a .gz that decompresses to more than this many times its size, once past 16 MB,
  is a decompression bomb (news text compresses 3-10 times).
- fetch_bytes, fetch_seconds: one URL, its body (after Content-Encoding) and the whole exchange.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields, replace
from functools import lru_cache

from xinwen.errors import XinwenError

LIMITS_ENV = "XINWEN_LIMITS"
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMG]i?B?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


@dataclass(frozen=True)
class Limits:
    analyzed_chars: int = 100_000
    record_bytes: int = 256 << 20
    decompressed_bytes: int = 8 << 30
    compression_ratio: int = 100
    fetch_bytes: int = 64 << 20
    fetch_seconds: float = 60.0

    @classmethod
    def parse(cls, text: str | None, base: Limits | None = None) -> Limits:
        """`base` (default: the defaults) with "name=value,..." applied."""
        out = base or cls()
        known = {f.name: f.type for f in fields(cls)}
        for part in (text or "").split(","):
            if not part.strip():
                continue
            name, _, value = (x.strip() for x in part.partition("="))
            if name not in known:
                raise XinwenError(f"unknown limit {name!r} in ${LIMITS_ENV}; known: {', '.join(known)}")
            m = _SIZE.match(value)
            if not m:
                raise XinwenError(f"limit {name} needs a number (bytes may end in K, M or G), not {value!r}")
            number = float(m.group(1)) * _UNITS[(m.group(2) or "")[:1].upper()]
            if number <= 0:
                raise XinwenError(f"limit {name} must be above 0, not {value!r}")
            out = replace(out, **{name: float(number) if known[name] == "float" else int(number)})
        return out


@lru_cache(maxsize=8)
def _from(text: str | None) -> Limits:
    return Limits.parse(text)


def limits() -> Limits:
    """The limits in force: the defaults with $XINWEN_LIMITS applied."""
    return _from(os.environ.get(LIMITS_ENV))
