"""Corpus statistics: document frequencies and IDF, fitted on the stored corpus.

scikit-learn's habit: `fit` on a corpus, then use the fitted plain data; it is
saved beside the database as JSON and reloaded, so results are reproducible.
The general IDF that ships with jieba is the fallback for words the corpus has
not seen, and weighs more while the corpus is small.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path

from xinwen.errors import StoreError

STATS_VERSION = 1


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


class CorpusStats:
    """Document frequencies over a corpus of segmented articles."""

    def __init__(self, n_docs: int = 0, df: dict[str, int] | None = None, vocabulary: list[str] | None = None):
        self.n_docs = n_docs
        self.df: dict[str, int] = df or {}
        self.vocabulary: list[str] = vocabulary or []  # learned new words
        self.vocabulary_set: frozenset[str] = frozenset(self.vocabulary)
        self._idf_cache: dict[str, float] = {}

    # -- fitting ---------------------------------------------------------
    @classmethod
    def fit(cls, documents: Iterable[Iterable[str]]) -> CorpusStats:
        """Count, for each word, how many documents contain it."""
        df: Counter[str] = Counter()
        n = 0
        for words in documents:
            n += 1
            df.update(set(words))
        return cls(n, dict(df))

    # -- use -------------------------------------------------------------
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
        return {"version": STATS_VERSION, "n_docs": self.n_docs, "df": self.df, "vocabulary": self.vocabulary}

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
        return cls(int(data["n_docs"]), dict(data["df"]), list(data.get("vocabulary", [])))
