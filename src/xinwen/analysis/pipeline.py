"""The analysis pipeline: segment once, then every analyzer reads the same words."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from xinwen.analysis.fingerprint import fingerprint
from xinwen.analysis.segment import Segmented, search_terms, segment, use_words
from xinwen.analysis.snippet import make_snippet
from xinwen.analysis.stats import CorpusStats, env_user_words
from xinwen.analysis.tagmodel import TagModel
from xinwen.analysis.tags import pick_tags
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


class Analyzer:
    """Analyze articles with fitted corpus statistics (general IDF when none) and the editor-tag
    model (the one shipped with xinwen when none is given).

    Creating an Analyzer teaches the segmenter the corpus's learned words and the user
    dictionary ($XINWEN_USER_DICT), so that every process that analyzes (ingest workers
    too) segments alike.
    """

    def __init__(
        self, stats: CorpusStats | None = None, n_tags: int = 3, model: TagModel | None = None
    ) -> None:
        self.stats = stats or CorpusStats()
        self.n_tags = n_tags
        self.model = model if model is not None else TagModel.default()
        # exactly this collection's words: nothing learned by another collection in this process
        use_words(self.stats.user_words + self.stats.vocabulary + env_user_words())

    def segment(self, article: Article) -> Segmented:
        return segment(article.title, article.body)

    def analyze(self, article: Article) -> Analysis:
        seg = self.segment(article)
        title_words = [w for w, _ in seg.title]
        body_words = seg.body_words()
        return Analysis(
            tags=pick_tags(seg, self.stats, self.n_tags, self.model),
            snippet=make_snippet(article.title, article.body),
            fingerprint=fingerprint(body_words or title_words),
            title_terms=" ".join(t for t in search_terms(title_words) if t.strip()),
            body_terms=" ".join(t for t in search_terms(body_words) if t.strip()),
            words=title_words + body_words,
        )

    def apply(self, article: Article) -> Analysis:
        """Analyze and write tags and snippet onto the article."""
        result = self.analyze(article)
        article.tags = result.tags
        article.snippet = result.snippet
        return result
