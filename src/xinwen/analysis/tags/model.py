"""What editors tag, learned from a tagged archive (here: tnews train titles).

Two kinds of knowledge, both plain counts so the model is small and can be read:

- keyphraseness: of the titles in which a word or phrase occurs, in how many did the
  editor make it a tag (国务院 often, 如何 never). This is the prior that lifts the
  terms an editor would pick over generic words with a high IDF.
- associations: tags that do not occur in the text but follow from its words
  (詹姆斯 -> NBA, 比特币 -> 区块链). Scored as P(tag | word) over the archive.

`build_tag_model` fits the counts from (title, tags) pairs; `TagModel.default()` loads
the copy shipped in xinwen/data (built by bench/build_tag_model.py from the tnews train
split only). Corpus statistics fitted on a user's own articles adapt it (see stats.py).
"""

from __future__ import annotations

import gzip
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path

from xinwen.errors import StoreError

MODEL_VERSION = 1
MODEL_FILE = "tagmodel.json.gz"
BODY_RANKER_FILE = "bodyranker.json.gz"  # the long-text ranker shipped beside the headline model
MAX_NGRAM = 4  # tokens joined into one candidate phrase
_SMOOTH = 4.0  # pseudo-counts pulling a rarely seen word's keyphraseness to the base rate


def ngrams(tokens: list[str], n: int = MAX_NGRAM) -> set[str]:
    """Every run of 1..n adjacent tokens, joined."""
    out: set[str] = set()
    for i in range(len(tokens)):
        s = ""
        for j in range(i, min(i + n, len(tokens))):
            s += tokens[j]
            out.add(s)
    return out


class TagModel:
    """Editor-tag vocabulary with keyphraseness and word -> tag associations."""

    def __init__(
        self,
        n_docs: int = 0,
        tags: dict[str, list[int]] | None = None,
        present: dict[str, int] | None = None,
        assoc: dict[str, list[list]] | None = None,
        base_rate: float = 0.1,
        ranker: dict | None = None,
        neighbours: dict | None = None,
        body_ranker: dict | None = None,
        house: dict | None = None,
    ) -> None:
        self.n_docs = n_docs
        self.tags = tags or {}  # tag -> [times tagged while in the title, times tagged]
        self.present = present or {}  # word or phrase -> titles that contain it
        self.assoc = assoc or {}  # word -> [[tag, titles with word and tag (tag not in title)], ...]
        self.base_rate = base_rate  # share of content-word occurrences that are tags
        self.ranker = ranker  # weights for headline-only tagging (ranker.py), or None
        # tagged archive titles: {"titles": [...], "words": [[...], ...], "tags": [[...], ...]} while
        # building, and as shipped {"hashed": counts of hashed character runs and words (no text),
        # "tags": [[...], ...]}
        self.neighbours = neighbours
        # the long-text ranker (body.py's features, boosted trees; learn.py fits it), or None
        self.body_ranker = body_ranker
        # what a site's own archive of tagged articles taught (learn.learn_from_archive): per term
        # [articles that carry it as a tag, articles whose text holds it], and the share tagged
        self.house: dict = house or {}
        self._house_counts: dict[str, list[int]] = self.house.get("terms", {})
        self.house_tags: frozenset[str] = frozenset(t for t, (tagged, _) in self._house_counts.items() if tagged)
        self._body = None  # the long-text ranker made ready to score, on first use
        # built without the first N tnews titles with >= 3 tags (`xinwen eval related` reports on them)
        self.held_out_first = 0
        self._index = None
        self._ranker = None  # the ranker made ready to score (ranker.Ranker), on first use
        self._prefixes: frozenset[str] | None = None
        self.token_cache: dict[tuple[str, str], tuple[float, bool]] = {}  # for the tag scorer

    def __len__(self) -> int:
        return len(self.tags)

    # -- use ---------------------------------------------------------------
    def is_tag(self, term: str) -> bool:
        return term in self.tags

    def prefixes(self) -> frozenset[str]:
        """Every proper prefix of a tag, the house's tags too (to stop extending a phrase early)."""
        if self._prefixes is None:
            self._prefixes = frozenset(t[:i] for t in (*self.tags, *self.house_tags) for i in range(1, len(t)))
        return self._prefixes

    def house_features(self, terms: list[str]):  # type: ignore[no-untyped-def]
        """Per term, from the site's own archive: P(tagged | in the text) smoothed toward the archive's
        base rate, log(1 + articles holding it), and whether it was ever a tag there (numpy columns)."""
        import numpy as np

        base = float(self.house.get("base_rate", 0.05))
        counts = np.array([self._house_counts.get(t, (0, 0)) for t in terms], dtype=np.float64).reshape(-1, 2)
        tagged, seen = counts[:, 0], counts[:, 1]
        return (tagged + _SMOOTH * base) / (seen + _SMOOTH), np.log1p(seen), (tagged > 0).astype(np.float64)

    def long_text_ranker(self):  # type: ignore[no-untyped-def]
        """The long-text ranker made ready to score (ranker.Ranker), or None when the model has none."""
        if self._body is None and self.body_ranker:
            from xinwen.analysis.tags.ranker import Ranker

            self._body = Ranker(self.body_ranker)
        return self._body

    def keyphraseness(self, term: str) -> float:
        """P(editor tags `term` | `term` is in the text), smoothed toward the base rate."""
        in_text = self.tags.get(term, (0, 0))[0]
        seen = self.present.get(term, 0)
        return (in_text + _SMOOTH * self.base_rate) / (seen + _SMOOTH)

    def headline_ranker(self):  # type: ignore[no-untyped-def]
        """The headline ranker made ready to score (ranker.Ranker), built on first use."""
        if self._ranker is None and self.ranker:
            from xinwen.analysis.tags.ranker import Ranker

            self._ranker = Ranker(self.ranker)
        return self._ranker

    def neighbour_index(self):
        """The nearest-neighbour index over the archive titles (built on first use), or None."""
        if self._index is None and self.neighbours and self.neighbours.get("tags"):
            from xinwen.analysis.tags.neighbours import NeighbourIndex

            if "hashed" in self.neighbours:
                self._index = NeighbourIndex.from_encoded(self.neighbours["hashed"], self.neighbours["tags"])
            else:
                self._index = NeighbourIndex(
                    self.neighbours["titles"], self.neighbours["tags"], self.neighbours.get("words")
                )
        return self._index

    def popularity(self, tag: str) -> int:
        return self.tags.get(tag, (0, 0))[1]

    def associated(self, words: Iterable[str], smooth: float = 10.0) -> dict[str, float]:
        """Tags implied by the words (noisy-or of P(tag | word)), for tags not in the text."""
        scores: dict[str, float] = {}
        for w in dict.fromkeys(words):
            pairs = self.assoc.get(w)
            if not pairs:
                continue
            denom = self.present.get(w, 0) + smooth
            for tag, count in pairs:
                p = count / denom
                prev = scores.get(tag)
                scores[tag] = p if prev is None else 1.0 - (1.0 - prev) * (1.0 - p)
        return scores

    # -- persistence -------------------------------------------------------
    def to_dict(self) -> dict:
        data = {
            "version": MODEL_VERSION, "n_docs": self.n_docs, "base_rate": self.base_rate,
            "tags": self.tags, "present": self.present, "assoc": self.assoc, "ranker": self.ranker,
            "neighbours": _shippable(self.neighbours), "house": self.house or None,
            "body_ranker": None if self.body_ranker is _shipped_body_ranker() else self.body_ranker,
        }  # fmt: skip
        if self.held_out_first:
            data["held_out_first"] = self.held_out_first
        return data

    def save(self, path: str | Path) -> None:
        # sorted keys and no time stamp: the same fit gives the same bytes (a deterministic build)
        data = json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
        with open(path, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=9, mtime=0) as fh:
            fh.write(data)

    @classmethod
    def load(cls, path: str | Path) -> TagModel:
        try:
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot read tag model: {exc}", file=str(path)) from exc
        return cls._from_dict(data, str(path))

    @classmethod
    def _from_dict(cls, data: dict, where: str) -> TagModel:
        if data.get("version") != MODEL_VERSION:
            raise StoreError("tag model of another version; rebuild it", file=where)
        model = cls(
            data["n_docs"], data["tags"], data["present"], data["assoc"], data["base_rate"], data.get("ranker"),
            data.get("neighbours"), data.get("body_ranker") or _shipped_body_ranker(), data.get("house"),
        )
        model.held_out_first = int(data.get("held_out_first", 0))
        return model

    @staticmethod
    @lru_cache(maxsize=1)
    def default() -> TagModel:
        """The model shipped with xinwen (an empty one if the file is missing)."""
        res = resources.files("xinwen").joinpath("data/" + MODEL_FILE)
        if not res.is_file():
            return TagModel()
        with res.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
            return TagModel._from_dict(json.load(fh), MODEL_FILE)


@lru_cache(maxsize=1)
def _shipped_body_ranker() -> dict | None:
    """The long-text ranker shipped in xinwen/data (None if the file is missing). A model saved without
    one of its own (the headline model, a site's model built before it had bodies) uses this one."""
    res = resources.files("xinwen").joinpath("data/" + BODY_RANKER_FILE)
    if not res.is_file():
        return None
    with res.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        return json.load(fh)


def build_tag_model(
    records: Iterable[tuple[list[str], list[str]]],
    *,
    min_tag_count: int = 2,
    min_pair_count: int = 2,
    max_assoc: int = 8,
    min_present: int = 3,
) -> TagModel:
    """Fit a TagModel from (title tokens, editor tags) pairs of a tagged archive.

    Only titles that carry tags are counted (an empty tag list means "not tagged",
    not "nothing worth tagging").
    """
    docs = [(toks, tags) for toks, tags in records if tags]
    tag_total: Counter[str] = Counter(t for _, tags in docs for t in set(tags))
    vocab = {t for t, c in tag_total.items() if c >= min_tag_count}
    present: Counter[str] = Counter()
    in_text: Counter[str] = Counter()
    pair: Counter[tuple[str, str]] = Counter()
    content_occ = content_tagged = 0
    for toks, tags in docs:
        grams = ngrams(toks)
        words = {w for w in toks if _content(w)}
        present.update(g for g in grams if g in vocab or g in words)
        tagset = set(tags)
        content_occ += len(words)
        content_tagged += len(words & tagset)
        for t in tagset:
            if t in grams:
                in_text[t] += 1
            elif t in vocab:
                for w in words:
                    pair[(w, t)] += 1
    by_word: dict[str, list[list]] = defaultdict(list)
    for (w, t), c in pair.items():
        if c >= min_pair_count:
            by_word[w].append([t, c])
    assoc = {w: sorted(v, key=lambda x: (-x[1], x[0]))[:max_assoc] for w, v in sorted(by_word.items())}
    keep_present = {
        g: c for g, c in present.items() if g in vocab or g in assoc or c >= min_present
    }
    tags = {t: [in_text[t], tag_total[t]] for t in vocab}
    base = content_tagged / content_occ if content_occ else 0.1
    return TagModel(len(docs), tags, keep_present, assoc, round(base, 4))


def _content(word: str) -> bool:
    return len(word) >= 2 and not word.isdigit() and not word.isspace()


def _shippable(neighbours: dict | None) -> dict | None:
    """The archive as saved: its titles' text (and words) replaced by hashed counts."""
    if not neighbours or "titles" not in neighbours:
        return neighbours
    from xinwen.analysis.tags.neighbours import encode_titles

    return {"hashed": encode_titles(neighbours["titles"], neighbours.get("words")), "tags": neighbours["tags"]}
