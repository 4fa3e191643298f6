"""Corpus statistics: document frequencies, IDF and the learned vocabulary, fitted on the stored corpus.

scikit-learn's habit: `fit` on a corpus, then use the fitted plain data; the store keeps it as the
collection's fitted state ("stats.json"), so results are reproducible. The general IDF that ships with
jieba is the fallback for words the corpus has not seen, and weighs more while the corpus is small.

The vocabulary holds the new words discovered in the corpus (newwords.py) and the words of a user
dictionary (lexicon.py); every `Analyzer` segments with exactly its collection's words.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable

from xinwen.analysis.lexicon import general_idf
from xinwen.errors import StoreError

STATS_VERSION = 1
IDF_CACHE_MAX = 100_000  # words whose IDF is kept computed (a long ingest meets millions of candidates)


class CorpusStats:
    """Document frequencies over a corpus of segmented articles, and its learned vocabulary."""

    def __init__(
        self,
        n_docs: int = 0,
        df: dict[str, int] | None = None,
        vocabulary: list[str] | None = None,
        user_words: list[str] | None = None,
        covers: int | None = None,
        house: dict | None = None,
    ):
        self.n_docs = n_docs  # the documents counted (all of a small collection, or a sample of a large one)
        # how many articles the collection held when these statistics were fitted for it (ingest refits
        # when it has grown half as large again)
        self.covers = n_docs if covers is None else covers
        self.df: dict[str, int] = df or {}
        self.vocabulary: list[str] = vocabulary or []  # discovered new words
        self.user_words: list[str] = user_words or []  # from a user dictionary
        self.vocabulary_set: frozenset[str] = frozenset(self.vocabulary) | frozenset(self.user_words)
        self._prefixes = frozenset(w[:i] for w in self.vocabulary_set for i in range(1, len(w)))
        self._idf_cache: dict[str, float] = {}
        self.term_rows: tuple[object, dict] | None = None  # tags/body.py's per-term features, for one tag model
        # what `xinwen fit` learned from the collection's own tagged articles (tags/learn.py, learn_house):
        # the house's tag counts, its long-text ranker and the report of what it measured; None when none
        self.house = house

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
        """Fit on (title, body) texts: learn new words (found in jieba's segmentation), then count
        document frequencies over the texts segmented with them and the user's words."""
        from xinwen.analysis.newwords import discover
        from xinwen.analysis.segment import PLAIN, Segmenter

        texts = list(texts)
        user = list(user_words or [])
        vocabulary: list[str] = []
        if discover_words and texts:
            knows = Segmenter.with_words(user).has_word
            found = discover((PLAIN.tag(t) + PLAIN.tag(b) for t, b in texts), known=frozenset(user), is_word=knows)
            vocabulary = [w.word for w in found]
        cut = Segmenter.with_words(user + vocabulary).cut
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
        if len(self._idf_cache) > IDF_CACHE_MAX:
            self._idf_cache.clear()
        self._idf_cache[word] = value
        return value

    # -- persistence -----------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "version": STATS_VERSION, "n_docs": self.n_docs, "covers": self.covers, "df": self.df,
            "vocabulary": self.vocabulary, "user_words": self.user_words,
        } | ({"house": self.house} if self.house else {})  # fmt: skip

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_dict(), ensure_ascii=False).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes, where: str = "corpus statistics") -> CorpusStats:
        try:
            loaded = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise StoreError(f"cannot read corpus statistics: {exc}; run `xinwen fit`", file=where) from exc
        if not isinstance(loaded, dict) or loaded.get("version") != STATS_VERSION:
            raise StoreError("corpus statistics of another version; run `xinwen fit`", file=where)
        data = loaded
        return cls(
            int(data["n_docs"]), dict(data["df"]), list(data.get("vocabulary", [])),
            list(data.get("user_words", [])), int(data.get("covers", data["n_docs"])), data.get("house"),
        )
