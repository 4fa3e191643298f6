"""Word segmentation, done once per article (rjieba: jieba's dictionary, Rust speed).

A `Segmenter` segments with jieba's dictionary plus exactly the words it was made with (a collection's
learned words and the user's dictionary); rjieba's own dictionary is never changed, so one collection's
words never leak into another's segmentation in the same process. Each `Analyzer` owns one.
`Segmenter.with_words` hands out one shared instance per set of words (making one loads the dictionary,
about 0.1 s); an instance never changes after it is made.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import rjieba

from xinwen.analysis.lexicon import stopwords
from xinwen.text import is_cjk

Tagged = list[tuple[str, str]]  # (word, part of speech)
_WORDLIKE = re.compile(r"\w")
CONTENT_CACHE = 16384  # titles whose content words are kept


@dataclass(slots=True)
class Segmented:
    """An article's words with parts of speech, title and body kept apart."""

    title: Tagged
    body: Tagged

    def words(self) -> list[str]:
        return [w for w, _ in self.title] + [w for w, _ in self.body]

    def body_words(self) -> list[str]:
        return [w for w, _ in self.body]


class Segmenter:
    """jieba's dictionary plus exactly `words` (none: jieba's dictionary alone)."""

    def __init__(self, words: Iterable[str] = ()) -> None:
        self.words = frozenset(w for w in words if w)
        if self.words:
            jieba = rjieba.Jieba()
            for w in self.words:
                if not jieba.has_word(w):
                    jieba.add_word(w, None, None)  # freq None: high enough to keep the word whole
            self._tag, self._cut, self._has = jieba.tag, jieba.cut, jieba.has_word
        else:
            self._tag, self._cut, self._has = rjieba.tag, rjieba.cut, rjieba.has_word
        self._content: dict[str, frozenset[str]] = {}

    @staticmethod
    def with_words(words: Iterable[str]) -> Segmenter:
        """The shared segmenter for this set of words."""
        return _shared(frozenset(w for w in words if w))

    def tag(self, text: str) -> Tagged:
        return self._tag(text) if text else []

    def cut(self, text: str) -> list[str]:
        """Plain segmentation (accurate mode)."""
        return self._cut(text)

    def has_word(self, word: str) -> bool:
        return bool(self._has(word))

    def content_words(self, text: str) -> frozenset[str]:
        """The distinct words of a short text (a title) that a query could be made of: two or more
        characters, not stop words, lower-cased; the last CONTENT_CACHE texts' are kept."""
        got = self._content.get(text)
        if got is None:
            stop = stopwords()
            got = frozenset(w for w in self._cut(text.lower()) if len(w) >= 2 and w not in stop and _WORDLIKE.search(w))
            if len(self._content) >= CONTENT_CACHE:
                self._content.clear()
            self._content[text] = got
        return got

    def segment(self, title: str, body: str) -> Segmented:
        """Title and body, segmented with parts of speech."""
        return Segmented(title=self.tag(title), body=self.tag(body))

    def search_terms(self, words: list[str]) -> list[str]:
        """Index terms in jieba's search mode, derived from already-cut words.

        Each word stands for itself; a long word also yields the dictionary words of
        length 2 and 3 inside it (上海交通大学 -> 上海 交通 大学 上海交通大学), so that
        a query for a part finds the whole and the reverse, without segmenting again.
        """
        out: list[str] = []
        has = self._has
        for w in words:
            n = len(w)
            if n > 2 and is_cjk(w[0]):
                for size in (2, 3):
                    if size >= n:
                        break
                    for i in range(n - size + 1):
                        part = w[i : i + size]
                        if has(part):
                            out.append(part)
            out.append(w)
        return out


@lru_cache(maxsize=8)
def _shared(words: frozenset[str]) -> Segmenter:
    return Segmenter(words)


PLAIN = Segmenter()  # jieba's own dictionary


def segment(title: str, body: str) -> Segmented:
    """Segment with jieba's own dictionary (an Analyzer segments with its collection's words)."""
    return PLAIN.segment(title, body)


def cut(text: str) -> list[str]:
    """Plain segmentation with jieba's own dictionary."""
    return PLAIN.cut(text)
