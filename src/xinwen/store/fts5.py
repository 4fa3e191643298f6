"""A parsed query (xinwen.search.query.Query) as SQLite FTS5 match expressions.

Nothing a user types is FTS5 syntax: every word goes into the expression as a quoted string, and
`AND`, `OR`, `NOT`, `NEAR`, `*`, `^`, `:` and brackets are plain text there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xinwen.search.query import Query, Word

NEAR_DISTANCE = 10  # tokens within which the parts of a long word must occur to stand for it


def quote(term: str) -> str:
    """An FTS5 string: whatever it holds is text, never syntax."""
    return '"' + term.replace('"', '""') + '"'


def word(w: Word) -> str:
    """`("上海交通大学" OR NEAR("上海" "交通" "大学", 10))`: the word, or all its parts close by;
    `("中美" OR "中 美")` for a typed word that only context makes one word."""
    if not w.parts:
        return quote(w.text)
    if w.adjacent:
        return f"({quote(w.text)} OR {quote(' '.join(w.parts))})"
    near = " ".join(quote(p) for p in w.parts)
    return f"({quote(w.text)} OR NEAR({near}, {NEAR_DISTANCE}))"


def word_groups(q: Query) -> list[str]:
    """Each positive word (of the query and of its phrases) as an FTS5 expression."""
    return [word(w) for p in q.phrases for w in p.words] + [word(w) for w in q.words]


def exclusions(q: Query) -> str | None:
    """Any excluded word, as one FTS5 expression."""
    if not q.exclude_words:
        return None
    return " OR ".join(word(w) if w.adjacent else quote(w.text) for w in q.exclude_words)


def match(q: Query, mode: str = "all") -> str | None:
    """The FTS5 expression: all words (mode "all") or any of them (mode "any"); phrases' words are
    always required; exclusions subtract. None when there is nothing to look up."""
    phrase_words = [word(w) for p in q.phrases for w in p.words]
    words = [word(w) for w in q.words]
    if mode == "any" and len(words) > 1:
        required = [*phrase_words, "(" + " OR ".join(words) + ")"]
    else:
        required = [*phrase_words, *words]
    if not required:
        return None
    expr = " AND ".join(required)
    excluded = exclusions(q)
    return f"({expr}) NOT ({excluded})" if excluded else expr


def title_match(q: Query) -> str | None:
    """Every word in the title (and no excluded word anywhere), as one FTS5 expression."""
    groups = word_groups(q)
    if not groups:
        return None
    expr = "{title_terms} : (" + " AND ".join(groups) + ")"
    excluded = exclusions(q)
    return f"{expr} NOT ({excluded})" if excluded else expr
