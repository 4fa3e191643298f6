"""Why an article is related: shared tags, top shared terms, shared tag candidates (topics) and section,
as data and as one short sentence in Chinese."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from xinwen.linking.vectors import ArticleVectors

if TYPE_CHECKING:
    from xinwen.linking.related.ranking import RelatedQuery

_MINOR = re.compile(r"^(\d+(\.\d+)?|\w)$")  # figures and single characters: not shown as shared terms


class SparseRow(NamedTuple):
    """One row of a sparse matrix: its column indices and their values."""

    indices: np.ndarray
    data: np.ndarray


def title_key(title: str) -> str:
    """A title without spaces and punctuation, to know one printed twice."""
    return "".join(ch for ch in title if ch.isalnum()).lower()


def reason(
    v: ArticleVectors, q: RelatedQuery, row: SparseRow, tag_row: SparseRow, tags: list[str], signals: dict
) -> dict:
    shared_tags = [t for t in q.tags if t in tags]
    mine, weight = q.weights()
    names = v.tag_vocabulary
    topics = [names[j] for _, j in sorted(((mine[j] * float(x), j) for j, x in
                                           zip(tag_row.indices.tolist(), tag_row.data.tolist(), strict=True)
                                           if j in mine), reverse=True)]
    shared_topics = [t for t in topics if t not in shared_tags][:3]
    products = [(weight[j] * float(x), j) for j, x in zip(row.indices.tolist(), row.data.tolist(), strict=True)
                if j in weight]
    terms = [t for t in (v.vocabulary[j] for _, j in sorted(products, reverse=True)) if not _MINOR.match(t)][:5]
    shared_terms = [t for t in terms if not any(t != o and t in o for o in terms)]  # 宝山 inside 宝山区
    parts = []
    if shared_terms:
        parts.append("都讲到" + "、".join(shared_terms))
    if shared_tags:
        parts.append("共同标签：" + "、".join(shared_tags))
    if shared_topics and signals.get("topics", 0) > 0:
        parts.append("话题相近：" + "、".join(shared_topics))
    section = q.section if signals.get("section", 0) > 0 else None
    if section:
        parts.append("同栏目：" + section)
    if not parts:
        parts.append("主题相近")
    return {"shared_tags": shared_tags, "shared_terms": shared_terms, "shared_topics": shared_topics,
            "section": section, "text": "；".join(parts), "signals": signals}
