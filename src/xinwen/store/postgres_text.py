"""Full-text search terms for PostgreSQL: an article's tsvectors, and a parsed query as tsqueries.

Both sides are written by xinwen as literals, not by PostgreSQL's text parser: the store receives its
words already segmented (space-joined), and the `simple` configuration's parser would cut them again
in ways that depend on the server's locale (a run of Chinese characters, 2024年, COVID-19 and
punctuation are each read differently under C and under zh_CN.UTF-8). What goes in is what
`to_tsvector('simple', ...)` would give if it split text where xinwen does: lowercased tokens, no
stemming, no stop words. A token is a run of letters and digits inside one word, as SQLite FTS5's
unicode61 tokenizer reads the same words (COVID-19 is the two tokens covid and 19; punctuation is no
token), so positions count the same tokens in both backends.

Matching never needs positions, so that a GIN index answers it exactly (a phrase operator `<->` in a
tsquery makes PostgreSQL re-read every candidate's vector, hundreds of milliseconds for common words):
where FTS5 looks for "the parts of a long word near each other" (上海 交通 大学 for 上海交通大学) or "the
characters of a typed word side by side" (中 美 for 中美), the index holds pair lexemes instead: `a_b`
for two tokens that follow each other (both one Chinese character, or both two or three: the shapes
such parts have), and for the tokens of one word (covid_19). A long word is then found as itself or
as the chain of its parts' pairs (`'上海交通大学' | '上海_交通' & '交通_大学'`): its parts one after
another, where FTS5 allows them anywhere within 10 tokens of each other.

Vectors of an article (`vectors`): the title's words and pairs (title_matches), the title's and body's
words and pairs (matching), and two with positions and weights (title A, body B) that rank: the title
and the first LEAD_TOKENS of the body (a cheap first pass), and the whole (the final order).

Nothing a user types becomes tsquery syntax: every token is a quoted lexeme of letters, digits and `_`,
and `&`, `|`, `!`, `<->`, `:*` and brackets in a query are not letters or digits, so no token holds them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xinwen.search.query import Query, Word

BODY_OFFSET = 64  # the body's positions start this far after the title's: no cover spans both closely
LEAD_TOKENS = 64  # the body's first tokens in the first ranking pass's vector
MAX_POSITION = 16383  # PostgreSQL's largest position; later tokens share it
MAX_POSITIONS = 255  # positions kept per lexeme (PostgreSQL keeps at most 256)
MAX_TOKEN_CHARS = 512  # a longer token is not indexed (PostgreSQL refuses lexemes of 2 KB)
MAX_VECTOR_CHARS = 250_000  # characters of distinct lexemes in one vector (PostgreSQL's limit is 1 MB)

_TOKEN = re.compile(r"[^\W_]+")
_PAIRED = re.compile(r"[\u3400-\u9fff]{1,3}")


@lru_cache(maxsize=1 << 18)
def _shape(token: str) -> int:
    """1: one Chinese character; 2: two or three (the shapes a word's parts have); 0: anything else."""
    if not _PAIRED.fullmatch(token):
        return 0
    return 1 if len(token) == 1 else 2


def tokens(term: str) -> list[str]:
    """The lowercased tokens of one word (letters and digits; everything else separates)."""
    if term.isalnum():
        return [term.lower()]
    return _TOKEN.findall(term.lower())


def pair(a: str, b: str) -> str:
    """The lexeme for token `b` right after token `a`."""
    return f"{a}_{b}"


def stream(terms: str) -> tuple[list[str], list[str]]:
    """The tokens of space-joined words in order, and the pair lexemes among them."""
    out: list[str] = []
    pairs: list[str] = []
    prev, prev_shape = "", 0
    for term in terms.split(" "):
        if not term:
            continue
        if term.isalnum():
            toks = [term.lower()] if len(term) <= MAX_TOKEN_CHARS else []
        else:
            toks = [t for t in _TOKEN.findall(term.lower()) if len(t) <= MAX_TOKEN_CHARS]
            if len(toks) > 1:  # the tokens of one word, for a word typed as it is written (covid-19)
                pairs.extend(pair(a, b) for a, b in zip(toks, toks[1:], strict=False))
        for tok in toks:
            shape = _shape(tok)
            if shape and shape == prev_shape:
                pairs.append(pair(prev, tok))
            out.append(tok)
            prev, prev_shape = tok, shape
    return out, pairs


def _plain(lexemes: Iterable[str]) -> str:
    """A tsvector literal of lexemes without positions (tokens and pairs hold no quote or backslash)."""
    out = []
    size = 0
    for lex in dict.fromkeys(lexemes):
        size += len(lex) + 3
        if size > MAX_VECTOR_CHARS:
            break
        out.append(f"'{lex}'")
    return " ".join(out)


def _positional(title: list[str], body: list[str], shift: int) -> str:
    """A tsvector literal with positions: the title's tokens weighted A from 1, the body's B from `shift`."""
    at: dict[str, list[str]] = {}
    for i, tok in enumerate(title, 1):
        got = at.get(tok)
        if got is None:
            at[tok] = [f"{min(i, MAX_POSITION)}A"]
        elif len(got) < MAX_POSITIONS:
            got.append(f"{min(i, MAX_POSITION)}A")
    for i, tok in enumerate(body, shift):
        got = at.get(tok)
        if got is None:
            at[tok] = [f"{min(i, MAX_POSITION)}B"]
        elif len(got) < MAX_POSITIONS and i <= MAX_POSITION:
            got.append(f"{i}B")
    out = []
    size = 0
    for lex, where in at.items():
        size += len(lex) + 3
        if size > MAX_VECTOR_CHARS:
            break
        out.append(f"'{lex}':{','.join(where)}")
    return " ".join(out)


@dataclass(slots=True)
class Vectors:
    """The tsvector literals of one article (see the module text)."""

    title: str  # the title's tokens and pairs
    text: str  # the title's and body's tokens and pairs
    lead: str  # the title (A) and the body's first LEAD_TOKENS (B), with positions
    rank: str  # the title (A) and the body (B), with positions


def vectors(title_terms: str, body_terms: str) -> Vectors:
    """An article's vectors from its title's and body's index terms (space-joined words)."""
    title, title_pairs = stream(title_terms)
    body, body_pairs = stream(body_terms)
    shift = len(title) + BODY_OFFSET + 1
    return Vectors(
        title=_plain(title + title_pairs),
        text=_plain(title + body + title_pairs + body_pairs),
        lead=_positional(title, body[:LEAD_TOKENS], shift),
        rank=_positional(title, body, shift),
    )


# -- queries ----------------------------------------------------------------------------------
def quote(lexeme: str) -> str:
    """A tsquery lexeme literal: whatever it holds is text, never syntax."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _chain(toks: list[str]) -> str:
    """Tokens one right after another, as pair lexemes (one token: itself)."""
    if len(toks) == 1:
        return quote(toks[0])
    return " & ".join(quote(pair(a, b)) for a, b in zip(toks, toks[1:], strict=False))


def _whole(text: str) -> str | None:
    toks = tokens(text)
    if not toks:
        return None
    return _chain(toks) if len(toks) == 1 else f"({_chain(toks)})"


def word(w: Word) -> str | None:
    """A word for matching: itself, or its parts one after another (`('交通大学' | '交通_大学')`);
    `('中美' | '中_美')` for a typed word that only context makes one word. None when it has no token."""
    whole = _whole(w.text)
    if whole is None or not w.parts:
        return whole
    part_tokens = [t for p in w.parts for t in tokens(p)]
    if len(part_tokens) < 2 or any(_shape(t) == 0 for t in part_tokens):
        together = " & ".join(quote(t) for t in part_tokens)  # not shapes the index pairs: anywhere
    else:
        together = _chain(part_tokens)
    return f"({whole} | ({together}))" if together else whole


def rank_word(w: Word) -> str | None:
    """A word for ranking (cover density over the positional vectors, which hold no pairs): itself, or
    all its parts (the nearer, the higher the rank)."""
    toks = tokens(w.text)
    if not toks:
        return None
    whole = " & ".join(quote(t) for t in toks)
    whole = whole if len(toks) == 1 else f"({whole})"
    parts = [t for p in w.parts for t in tokens(p)]
    if not parts:
        return whole
    return f"({whole} | ({' & '.join(quote(t) for t in parts)}))"


def _groups(words: Iterable[Word], compile_word=word) -> list[str]:  # type: ignore[no-untyped-def]
    return [g for g in (compile_word(w) for w in words) if g]


def exclusions(q: Query) -> str | None:
    """Any excluded word, as one tsquery (the word itself; a typed word that context makes one word, also
    as its characters side by side, as in store/fts5.py)."""
    groups = [word(w) if w.adjacent else _whole(w.text) for w in q.exclude_words]
    groups = [g for g in groups if g]
    return " | ".join(groups) if groups else None


def _required(q: Query, mode: str, compile_word=word) -> list[str]:  # type: ignore[no-untyped-def]
    phrase_words = _groups((w for p in q.phrases for w in p.words), compile_word)
    words = _groups(q.words, compile_word)
    if mode == "any" and len(words) > 1:
        return [*phrase_words, "(" + " | ".join(words) + ")"]
    return [*phrase_words, *words]


def match(q: Query, mode: str = "all") -> str | None:
    """The tsquery over the text vector: all words (mode "all") or any of them (mode "any"); phrases'
    words are always required; exclusions subtract. None when there is nothing to look up."""
    required = _required(q, mode)
    if not required:
        return None
    expr = " & ".join(required)
    excluded = exclusions(q)
    return f"({expr}) & !({excluded})" if excluded else expr


def rank_query(q: Query, mode: str = "all") -> str | None:
    """The tsquery ts_rank_cd ranks matches by: the words (or their parts), without exclusions."""
    required = _required(q, mode, rank_word)
    return " & ".join(required) if required else None


def title_match(q: Query) -> str | None:
    """Every word (of the query and of its phrases) in the title, as a tsquery over the title vector."""
    groups = _groups([*(w for p in q.phrases for w in p.words), *q.words])
    return " & ".join(groups) if groups else None
