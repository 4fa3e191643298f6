"""Related articles: more-like-this over the FTS index, with the reason they are related."""

from __future__ import annotations

from dataclasses import dataclass, field

from xinwen.search import fts_expression
from xinwen.store.sqlite import SQLiteStore, StoredArticle


@dataclass
class RelatedHit:
    article: StoredArticle
    score: float
    reason: dict = field(default_factory=dict)


def related(store: SQLiteStore, article_id: str, *, k: int = 5) -> list[RelatedHit]:
    base = store.get(article_id)
    terms = list(dict.fromkeys(base.article.tags))
    if not terms:
        return []
    rows = store.conn.execute(
        "SELECT rowid, bm25(articles_fts, 3.0, 1.0) AS score FROM articles_fts "
        "WHERE articles_fts MATCH ? AND rowid != ? ORDER BY score LIMIT ?",
        (fts_expression(terms, "OR"), base.rowid, k),
    ).fetchall()
    stored = store.get_many([r[0] for r in rows])
    hits = []
    for rowid, score in rows:
        s = stored[rowid]
        shared = [t for t in base.article.tags if t in s.article.tags]
        hits.append(RelatedHit(s, -float(score), {"shared_tags": shared, "shared_terms": terms}))
    return hits
