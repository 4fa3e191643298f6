"""Word segmentation, done once per article (rjieba: jieba's dictionary, Rust speed)."""

from __future__ import annotations

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


def segment(title: str, body: str) -> Segmented:
    """Segment title and body with POS tags."""
    return Segmented(title=rjieba.tag(title) if title else [], body=rjieba.tag(body) if body else [])


def cut(text: str) -> list[str]:
    """Plain segmentation (accurate mode)."""
    return rjieba.cut(text)


def add_words(words: list[str]) -> None:
    """Teach the segmenter new words (user dictionary, learned vocabulary)."""
    for w in words:
        if w and not rjieba.has_word(w):
            rjieba.add_word(w, None, None)  # freq None: high enough to keep the word whole


def is_word(w: str) -> bool:
    return bool(rjieba.has_word(w))


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
                    if rjieba.has_word(part):
                        out.append(part)
        out.append(w)
    return out


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"
