"""Corpus statistics: document frequencies, IDF and the learned vocabulary, fitted on the stored corpus.

scikit-learn's habit: `fit` on a corpus, then use the fitted plain data; it is
saved beside the database as JSON (DB + ".stats.json") and reloaded, so results are
reproducible. The general IDF that ships with jieba is the fallback for words the
corpus has not seen, and weighs more while the corpus is small.

The vocabulary holds the new words discovered in the corpus (newwords.py) and the
words of a user dictionary (`xinwen fit --user-dict FILE`, or $XINWEN_USER_DICT);
every `Analyzer` segments with exactly its collection's words (segment.use_words).
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path

from xinwen.errors import ReadError, StoreError

STATS_VERSION = 1
USER_DICT_ENV = "XINWEN_USER_DICT"


@lru_cache(maxsize=1)
def general_idf() -> tuple[dict[str, float], float]:
    """jieba's general-purpose IDF table and its median (for unknown words)."""
    import jieba.analyse  # noqa: F401  (the file ships with jieba)

    path = Path(__import__("jieba").__file__).parent / "analyse" / "idf.txt"
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


def teach_segmenter(words: Iterable[str]) -> None:
    """Add learned and user words to the segmenter (each process does it once per word)."""
    from xinwen.analysis.segment import add_words

    add_words(list(words))


class CorpusStats:
    """Document frequencies over a corpus of segmented articles, and its learned vocabulary."""

    def __init__(
        self,
        n_docs: int = 0,
        df: dict[str, int] | None = None,
        vocabulary: list[str] | None = None,
        user_words: list[str] | None = None,
    ):
        self.n_docs = n_docs
        self.df: dict[str, int] = df or {}
        self.vocabulary: list[str] = vocabulary or []  # discovered new words
        self.user_words: list[str] = user_words or []  # from a user dictionary
        self.vocabulary_set: frozenset[str] = frozenset(self.vocabulary) | frozenset(self.user_words)
        self._prefixes = frozenset(w[:i] for w in self.vocabulary_set for i in range(1, len(w)))
        self._idf_cache: dict[str, float] = {}

    # -- fitting ---------------------------------------------------------
    @classmethod
    def fit(
        cls,
        documents: Iterable[Iterable[str]],
        *,
        vocabulary: list[str] | None = None,
        user_words: list[str] | None = None,
    ) -> CorpusStats:
        """Count, for each word, how many documents contain it."""
        df: Counter[str] = Counter()
        n = 0
        for words in documents:
            n += 1
            df.update(set(words))
        if n >= 1000:  # a word seen once weighs like an unseen one: keep the file small
            df = Counter({w: c for w, c in df.items() if c > 1})
        return cls(n, dict(df), vocabulary, user_words)

    @classmethod
    def fit_texts(
        cls,
        texts: Iterable[tuple[str, str]],
        *,
        discover_words: bool = True,
        user_words: list[str] | None = None,
    ) -> CorpusStats:
        """Fit on (title, body) texts: learn new words, teach them to the segmenter,
        then count document frequencies over the text segmented with them."""
        import rjieba

        from xinwen.analysis.newwords import discover
        from xinwen.analysis.segment import cut, use_words

        texts = list(texts)
        user = list(user_words or [])
        use_words(user)
        vocabulary: list[str] = []
        if discover_words and texts:
            found = discover((rjieba.tag(t) + rjieba.tag(b) for t, b in texts), known=frozenset(user))
            vocabulary = [w.word for w in found]
            teach_segmenter(vocabulary)
        return cls.fit((cut(t) + cut(b) for t, b in texts), vocabulary=vocabulary, user_words=user)

    # -- use -------------------------------------------------------------
    def vocabulary_prefixes(self) -> frozenset[str]:
        return self._prefixes

    def knows(self, word: str) -> bool:
        """Whether the corpus or the general IDF table has seen the word."""
        return word in self.df or word in general_idf()[0]

    def idf(self, word: str) -> float:
        cached = self._idf_cache.get(word)
        if cached is not None:
            return cached
        general, median = general_idf()
        g = general.get(word, median)
        if self.n_docs == 0:
            value = g
        else:
            local = math.log((self.n_docs + 1) / (self.df.get(word, 0) + 1)) + 1.0
            # trust the corpus more as it grows: 50/50 at 1,000 documents
            w = self.n_docs / (self.n_docs + 1000)
            value = w * local + (1 - w) * g
        self._idf_cache[word] = value
        return value

    # -- persistence -----------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "version": STATS_VERSION, "n_docs": self.n_docs, "df": self.df,
            "vocabulary": self.vocabulary, "user_words": self.user_words,
        }  # fmt: skip

    def save(self, path: str | Path) -> None:
        tmp = Path(str(path) + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path) -> CorpusStats:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot read corpus statistics: {exc}", file=str(path)) from exc
        if data.get("version") != STATS_VERSION:
            raise StoreError("corpus statistics of another version; run `xinwen fit`", file=str(path))
        return cls(
            int(data["n_docs"]), dict(data["df"]), list(data.get("vocabulary", [])),
            list(data.get("user_words", [])),
        )
