"""The analysis pipeline: segment once, then every analyzer reads the same words."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from xinwen.analysis.fingerprint import fingerprint
from xinwen.analysis.lexicon import env_user_words
from xinwen.analysis.segment import Segmented, Segmenter
from xinwen.analysis.snippet import make_snippet
from xinwen.analysis.stats import CorpusStats
from xinwen.analysis.summary import summarize_text
from xinwen.analysis.tags.model import TagModel
from xinwen.analysis.tags.scorer import TagScorer, choose
from xinwen.article import Article


@dataclass
class Analysis:
    """What xinwen computes for one article."""

    tags: list[str]
    snippet: str
    fingerprint: np.ndarray
    title_terms: str  # space-joined index terms (search mode) of the title
    body_terms: str  # ... and of the body
    words: list[str]  # the body's words, for corpus statistics
    # the best TAG_WEIGHTS tag candidates, each with how sure the tagger is (0..1]: what related
    # articles compare, where three chosen tags of a headline seldom meet another's three
    tag_weights: dict[str, float] = field(default_factory=dict)


TAG_WEIGHTS = 15
TAG_MODEL_ENV = "XINWEN_TAG_MODEL"


def active_tag_model() -> TagModel:
    """The editor-tag model in use: the file named by $XINWEN_TAG_MODEL (a site's own, built from its
    tagged archive by bench/build_tag_model.py), else the one shipped with xinwen."""
    path = os.environ.get(TAG_MODEL_ENV)
    return _load_tag_model(path) if path else TagModel.default()


@lru_cache(maxsize=2)
def _load_tag_model(path: str) -> TagModel:
    return TagModel.load(path)


def tag_weights(scores: dict[str, float], headline: bool, k: int = TAG_WEIGHTS) -> dict[str, float]:
    """The k best candidates of a tag scorer, as weights in (0, 1]: the headline ranker's log-odds
    become probabilities; an article's scores are already relative to its best (1.0)."""
    best = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    if headline:
        out = {t: 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, v)))) for t, v in best}
    else:
        top = max((v for _, v in best), default=0.0) or 1.0
        out = {t: v / top for t, v in best if v > 0}
    return {t: round(w, 4) for t, w in out.items() if w >= 1e-4}


class Analyzer:
    """Analyze articles with fitted corpus statistics (general IDF when none) and the editor-tag
    model (when none is given: $XINWEN_TAG_MODEL's, else the one shipped with xinwen).

    Its segmenter knows the corpus's learned words and the user dictionary ($XINWEN_USER_DICT),
    so that every process that analyzes with the same statistics (ingest workers too) segments alike.
    """

    def __init__(
        self, stats: CorpusStats | None = None, n_tags: int = 3, model: TagModel | None = None,
        analyzed_chars: int | None = None,
    ) -> None:
        from xinwen.limits import limits

        self.stats = stats or CorpusStats()
        self.n_tags = n_tags
        # a longer body is analyzed on its first analyzed_chars (memory and time stay bounded)
        self.analyzed_chars = analyzed_chars or limits().analyzed_chars
        self._model = model  # loaded when first used: a search or a listing never tags
        # exactly this collection's words: nothing learned by another collection in this process
        self.segmenter = Segmenter.with_words(self.stats.user_words + self.stats.vocabulary + env_user_words())

    @property
    def model(self) -> TagModel:
        """The editor-tag model: the one given, else the active one with the house style `xinwen fit`
        learned from the collection's tagged articles."""
        if self._model is None:
            model = active_tag_model()
            if self.stats.house:
                from xinwen.analysis.tags.learn import house_model

                model = house_model(model, self.stats.house)
            self._model = model
        return self._model

    @model.setter
    def model(self, model: TagModel) -> None:
        self._model = model

    def segment(self, article: Article) -> Segmented:
        return self.segmenter.segment(article.title, self.body(article))

    def body(self, article: Article) -> str:
        """The part of the body that is analyzed: all of it, up to analyzed_chars."""
        body = article.body or ""
        return body if len(body) <= self.analyzed_chars else body[: self.analyzed_chars]

    def analyze(self, article: Article) -> Analysis:
        seg = self.segment(article)
        title_words = [w for w, _ in seg.title]
        body_words = seg.body_words()
        tags, weights = self._tags(seg)
        terms = self.segmenter.search_terms
        return Analysis(
            tags=tags,
            snippet=make_snippet(article.title, self.body(article)),
            fingerprint=fingerprint(body_words or title_words),
            title_terms=" ".join(t for t in terms(title_words) if t.strip()),
            body_terms=" ".join(t for t in terms(body_words) if t.strip()),
            words=title_words + body_words,
            tag_weights=weights,
        )

    def tag(self, article: Article) -> tuple[list[str], str, dict[str, float]]:
        """Tags, snippet and tag weights alone (what a refit changes; no fingerprint or index terms)."""
        tags, weights = self._tags(self.segment(article))
        return tags, make_snippet(article.title, self.body(article)), weights

    def _tags(self, seg: Segmented) -> tuple[list[str], dict[str, float]]:
        scorer = TagScorer(self.stats, self.model)
        scores = scorer.score(seg)
        return choose(scores, self.n_tags), tag_weights(scores, headline=scorer.ranks_headline(seg))

    def summarize(self, article: Article, n: int = 3) -> list[str]:
        """An n-sentence extractive summary (summary.py), segmented with this analyzer's words."""
        return summarize_text(article.title, self.body(article), n, cut=self.segmenter.cut)

    def apply(self, article: Article) -> Analysis:
        """Analyze and write tags and snippet onto the article."""
        result = self.analyze(article)
        article.tags = result.tags
        article.snippet = result.snippet
        return result
