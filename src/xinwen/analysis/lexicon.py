"""The words xinwen knows before it sees a corpus: stop words, jieba's general-purpose IDF table, and
the user's own dictionary (`xinwen fit --user-dict FILE`, or $XINWEN_USER_DICT)."""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

from xinwen.errors import ReadError

USER_DICT_ENV = "XINWEN_USER_DICT"


@lru_cache(maxsize=1)
def general_idf() -> tuple[dict[str, float], float]:
    """jieba's general-purpose IDF table and its median (for unknown words)."""
    import jieba

    path = Path(jieba.__file__).parent / "analyse" / "idf.txt"  # the file ships with jieba
    table: dict[str, float] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            word, _, value = line.rstrip("\n").partition(" ")
            if value:
                table[word] = float(value)
    values = sorted(table.values())
    return table, values[len(values) // 2]


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    text = resources.files("xinwen").joinpath("data/stopwords.txt").read_text(encoding="utf-8")
    return frozenset(w.strip() for w in text.splitlines() if w.strip())


def read_user_dict(path: str | Path) -> list[str]:
    """Words of a user dictionary: one a line, jieba's format (`word [freq] [pos]`) accepted."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReadError(f"cannot read user dictionary: {exc}", file=str(path)) from exc
    words = []
    for line in text.splitlines():
        word = line.split()[0] if line.split() else ""
        if word and not word.startswith("#"):
            words.append(word)
    return words


def env_user_words() -> list[str]:
    """Words of the dictionary named by $XINWEN_USER_DICT (none when unset)."""
    path = os.environ.get(USER_DICT_ENV)
    return read_user_dict(path) if path else []
