"""Word segmentation, done once per article (rjieba: jieba's dictionary, Rust speed)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import rjieba

Tagged = list[tuple[str, str]]  # (word, part of speech)


@dataclass(slots=True)
class Segmented:
    """An article's words with parts of speech, title and body kept apart."""

    title: Tagged
    body: Tagged

    def words(self) -> list[str]:
        return [w for w, _ in self.title] + [w for w, _ in self.body]

    def body_words(self) -> list[str]:
        return [w for w, _ in self.body]


# The segmenter in use: jieba's own dictionary (None), or a private copy that also holds a
# collection's learned and user words. rjieba's default dictionary is never changed, so one
# collection's words never leak into another's segmentation in the same process.
_active: rjieba.Jieba | None = None
_active_words: frozenset[str] = frozenset()


def use_words(words: Iterable[str]) -> None:
    """Segment with jieba's dictionary plus exactly these words (none: jieba's dictionary alone)."""
    global _active, _active_words
    key = frozenset(w for w in words if w)
    if key == _active_words:
        return
    if not key:
        _active = None
    else:
        seg = rjieba.Jieba()
        for w in key:
            if not seg.has_word(w):
                seg.add_word(w, None, None)  # freq None: high enough to keep the word whole
        _active = seg
    _active_words = key


def add_words(words: Iterable[str]) -> None:
    """Teach the segmenter in use more words (user dictionary, learned vocabulary)."""
    use_words(_active_words | set(words))


def segment(title: str, body: str) -> Segmented:
    """Segment title and body with POS tags."""
    tag = _active.tag if _active is not None else rjieba.tag
    return Segmented(title=tag(title) if title else [], body=tag(body) if body else [])


def cut(text: str) -> list[str]:
    """Plain segmentation (accurate mode)."""
    return _active.cut(text) if _active is not None else rjieba.cut(text)


def is_word(w: str) -> bool:
    return bool(_active.has_word(w) if _active is not None else rjieba.has_word(w))


def search_terms(words: list[str]) -> list[str]:
    """Index terms in jieba's search mode, derived from already-cut words.

    Each word stands for itself; a long word also yields the dictionary words of
    length 2 and 3 inside it (上海交通大学 -> 上海 交通 大学 上海交通大学), so that
    a query for a part finds the whole and the reverse, without segmenting again.
    """
    out: list[str] = []
    for w in words:
        n = len(w)
        if n > 2 and _is_cjk(w[0]):
            for size in (2, 3):
                if size >= n:
                    break
                for i in range(n - size + 1):
                    part = w[i : i + size]
                    if is_word(part):
                        out.append(part)
        out.append(w)
    return out


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"
