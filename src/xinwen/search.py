"""Full-text search over the FTS5 index of segmented words."""

from __future__ import annotations

from dataclasses import dataclass

from xinwen.analysis.segment import cut
from xinwen.store.sqlite import SQLiteStore, StoredArticle


@dataclass
class SearchHit:
    article: StoredArticle
    score: float
    highlight: str


def query_terms(query: str) -> list[str]:
    """The words of a query, segmented the way the index was."""
    return [w for w in cut(query) if w.strip() and any(ch.isalnum() for ch in w)]


def fts_expression(terms: list[str], op: str = "AND") -> str:
    """Quote each term so that nothing a user types is FTS syntax."""
    return f" {op} ".join('"' + t.replace('"', '""') + '"' for t in terms)


def search(store: SQLiteStore, query: str, *, limit: int = 10) -> list[SearchHit]:
    terms = query_terms(query)
    if not terms:
        return []
    for op in ("AND", "OR"):
        rows = store.conn.execute(
            "SELECT rowid, bm25(articles_fts, 3.0, 1.0) AS score FROM articles_fts "
            "WHERE articles_fts MATCH ? ORDER BY score LIMIT ?",
            (fts_expression(terms, op), limit),
        ).fetchall()
        if rows:
            break
    stored = store.get_many([r[0] for r in rows])
    hits = []
    for rowid, score in rows:
        s = stored[rowid]
        hits.append(SearchHit(s, -float(score), highlight_text(s.article.snippet or s.article.title, terms)))
    return hits


def highlight_text(text: str, terms: list[str]) -> str:
    """Mark matched words with 【】 (plain text; the web layer escapes and styles)."""
    for t in sorted(set(terms), key=len, reverse=True):
        text = text.replace(t, f"【{t}】")
    return text
