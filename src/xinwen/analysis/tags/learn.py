"""Learning tags from tagged full articles: the long-text ranker, and a site's own archive.

Two users of the same pieces:

- bench/build_tag_model.py fits the long-text ranker shipped with xinwen (`fit_body_ranker`) on
  tagged news bodies (the Sohu sets), and beside it one ranker per cross-validation fold
  (`fold_of`), trained without that fold, so that `xinwen eval tags` reports on articles the model
  it uses has not seen.
- `learn_from_archive` is what a user's collection learns from its own tagged articles (a CMS
  export's keywords, a page's 创新|低碳|样板 as `Article.source_tags`): the house's tag vocabulary
  (its tags become candidates), how often each term is tagged when it occurs, and a ranker for the
  house, learned one of two ways (KINDS): more trees boosted from the shipped ranker's log-odds (the
  shipped model as the prior, its mix with the salience formula kept), or a ranker of the house's own,
  fitted on its articles alone, that picks all three tags itself. The shipped ranker is a compromise
  between the houses it learned from (one tags names, another topics) and a prior in the wrong style is
  hard to boost away, so the way is chosen by cross-validation on the archive (`compare_kinds`). It
  measures itself first: the way chosen and fitted on four fifths of the archive, scored on the rest
  beside the shipped model; then fitted again on all of it.

House counts for the rows a ranker learns from are cross-fitted (each article's counts come from
the other articles), so that the trees learn how counts behave on articles they did not come from,
as on the user's next article.
"""

from __future__ import annotations

import time
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from xinwen.analysis.segment import Segmenter
from xinwen.analysis.stats import CorpusStats
from xinwen.analysis.tags.body import BODY_FEATURES, COL, body_candidates
from xinwen.analysis.tags.model import TagModel
from xinwen.article import Article

FOLDS = 5
K = 3
HOUSE_SMOOTH = 4.0
# the shipped ranker: boosted trees (HistGradientBoosting)
SHIPPED_TREES = 150
SHIPPED_LEAVES = 15
SHIPPED_RATE = 0.1
SHIPPED_MIN_LEAF = 50
SHIPPED_FEATURES = 0.5  # share of the features each split may choose from
# a house's trees, boosted from the shipped ranker's log-odds
HOUSE_ROUNDS = 60
HOUSE_RATE = 0.1
HOUSE_LEAVES = 8
HOUSE_MIN_LEAF = 30
# a house's own ranker, fitted on its tagged articles alone: small trees, as an archive may hold a few dozen
OWN_TREES = 100
OWN_LEAVES = 8
OWN_MIN_LEAF = 20
OWN_RATE = 0.1
KINDS = ("boosted", "own")  # the ways a house's ranker is learned (fit_house); the first wins a tie
COMPARE_MAX = 1000  # the ways are compared on at most this many of the archive's articles (the first)
MIN_ARCHIVE = 20  # tagged articles with a body needed to learn anything
MAX_ARCHIVE = 5000  # `xinwen fit` learns from at most this many of them (the first stored)
MIN_PRESENT = 2  # a term kept in the house counts: tagged once, or in this many articles


@dataclass
class Example:
    """One tagged article made ready to learn from: its candidates (lower-cased), their feature rows and
    surface forms, and its tags (lower-cased)."""

    key: str
    terms: list[str]
    rows: np.ndarray
    shown: list[str]
    gold: set[str]

    @property
    def labels(self) -> np.ndarray:
        return np.fromiter((t in self.gold for t in self.terms), dtype=np.float64, count=len(self.terms))


@dataclass
class ArchiveReport:
    """What `learn_from_archive` learned, and what it measured on the held-out part of the archive."""

    articles: int = 0  # tagged articles with a body, learned from
    skipped: int = 0  # articles without tags or without a body
    tags: int = 0  # distinct tags of the archive (the house vocabulary)
    terms: int = 0  # terms with house counts kept in the model
    trees: int = 0  # trees added to the shipped ranker, or in the house's own
    kind: str = ""  # how the house's ranker was learned (KINDS): the one that scored best on the archive
    f1_kinds: dict[str, float] = field(default_factory=dict)  # each kind's cross-validated F1@3 there
    held_out: int = 0  # articles measured on (fitted without them)
    f1_shipped: float = 0.0  # F1@3 of the shipped model on them
    f1_learned: float = 0.0  # ... and of the model learned from the rest of the archive
    f1_shipped_ci: tuple[float, float] = (0.0, 0.0)
    f1_learned_ci: tuple[float, float] = (0.0, 0.0)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        out = asdict(self)
        for k in ("f1_shipped", "f1_learned"):
            out[k] = round(out[k], 4)
        for k in ("f1_shipped_ci", "f1_learned_ci"):
            out[k] = [round(v, 4) for v in out[k]]
        out["f1_kinds"] = {k: round(v, 4) for k, v in self.f1_kinds.items()}
        out["seconds"] = round(self.seconds, 1)
        return out

    def summary(self) -> str:
        """One paragraph for a person: how much was learned and what it measured."""
        if not self.articles:
            return "nothing learned: " + "; ".join(self.notes or ["no tagged articles with a body"])
        ranker = (f"a ranker of its own, {self.trees} trees that pick the tags" if self.kind == "own"
                  else f"{self.trees} trees added to the shipped ranker")
        text = f"learned from {self.articles} tagged articles ({self.tags} distinct tags, {self.terms} terms counted, {ranker}"
        if len(self.f1_kinds) > 1:
            text += "; chosen by cross-validation on the archive, F1@3 " + ", ".join(
                f"{_KIND_NAMES[k]} {v:.3f}" for k, v in self.f1_kinds.items())
        text += ")"
        if self.held_out:
            lo0, hi0 = self.f1_shipped_ci
            lo1, hi1 = self.f1_learned_ci
            text += (f"; on {self.held_out} held-out articles F1@3 {self.f1_learned:.3f} ({lo1:.3f}-{hi1:.3f}) "
                     f"against the shipped model's {self.f1_shipped:.3f} ({lo0:.3f}-{hi0:.3f})")
        return text + "".join(f"; {n}" for n in self.notes)


_KIND_NAMES = {"boosted": "boosted from the shipped ranker", "own": "its own"}


def fold_of(key: str, folds: int = FOLDS) -> int:
    """The cross-validation fold of an article (stable across runs, machines and Python versions)."""
    return zlib.crc32(key.encode("utf-8")) % folds


def article_key(article: Article, index: int, dataset: str = "") -> str:
    """The key an article's fold is taken from: data set and id (its position when it has none)."""
    return f"{dataset}:{article.id or index}"


def featurize(
    articles: Iterable[tuple[str, Article]], model: TagModel, stats: CorpusStats | None = None,
    segmenter: Segmenter | None = None,
) -> list[Example]:
    """Candidates and feature rows of (key, article) pairs with tags and a body; tags lower-cased."""
    stats = stats or CorpusStats()
    seg_with = segmenter or Segmenter.with_words(stats.user_words + stats.vocabulary)
    out = []
    for key, a in articles:
        if not a.source_tags or not a.body:
            continue
        terms, rows, shown = body_candidates(seg_with.segment(a.title, a.body), model, stats)
        out.append(Example(key, terms, rows, shown, {t.lower() for t in a.source_tags}))
    return out


def fit_body_ranker(examples: Sequence[Example], weights: Sequence[float] | None = None) -> dict:
    """The long-text ranker (boosted trees over BODY_FEATURES) fitted on tagged articles; `weights`: one
    per example (a data set given more say)."""
    from xinwen.analysis.tags.ranker import fit_trees

    used = [(e, w) for e, w in zip(examples, weights or [1.0] * len(examples), strict=True) if e.terms]
    x = np.vstack([e.rows for e, _ in used])
    y = np.concatenate([e.labels for e, _ in used])
    sw = np.concatenate([np.full(len(e.terms), w) for e, w in used])
    return fit_trees(x, y, SHIPPED_TREES, SHIPPED_LEAVES, features=BODY_FEATURES, learning_rate=SHIPPED_RATE,
                     min_leaf=SHIPPED_MIN_LEAF, max_features=SHIPPED_FEATURES, sample_weight=sw)


# -- a house's archive -------------------------------------------------------------------------------
def house_counts(examples: Iterable[Example]) -> dict:
    """Per term: [articles that carry it as a tag, articles among whose candidates it is], and the
    archive's share of candidates that are tags (what an unseen term's rate is pulled toward)."""
    tagged: Counter[str] = Counter()
    present: Counter[str] = Counter()
    occurrences = hits = 0
    tags: set[str] = set()
    for e in examples:
        cands = set(e.terms)
        present.update(cands)
        tagged.update(cands & e.gold)
        tags |= e.gold
        occurrences += len(cands)
        hits += len(cands & e.gold)
    terms = {t: [tagged[t], present[t]] for t in present if tagged[t] or present[t] >= MIN_PRESENT}
    for t in tags - set(terms):  # a tag never among the candidates still teaches the vocabulary
        terms[t] = [1, 0]
    return {"terms": terms, "base_rate": round(hits / occurrences, 4) if occurrences else 0.05}


def _house_columns(e: Example, counts: dict) -> np.ndarray:
    """The example's rows with the house columns (and the house source bit) from `counts`."""
    rows = e.rows.copy()
    terms = counts["terms"]
    base = counts["base_rate"]
    got = np.array([terms.get(t, (0, 0)) for t in e.terms], dtype=np.float64).reshape(-1, 2)
    tagged, seen = got[:, 0], got[:, 1]
    rows[:, COL["house_kp"]] = (tagged + HOUSE_SMOOTH * base) / (seen + HOUSE_SMOOTH)
    rows[:, COL["house_seen"]] = np.log1p(seen)
    rows[:, COL["house_tagged"]] = tagged > 0
    rows[:, COL["src_house"]] = tagged > 0
    return rows


def _cross_fitted(examples: Sequence[Example], folds: int = FOLDS) -> tuple[np.ndarray, np.ndarray]:
    """Rows (house columns counted on the other folds' articles) and labels of every example. A candidate
    that only the house vocabulary made, and that the other folds never tagged, is left out: it would
    not have been a candidate."""
    xs, ys = [], []
    src_cols = [COL[c] for c in BODY_FEATURES if c.startswith("src_") and c != "src_house"]
    for k in range(folds):
        counts = house_counts(e for i, e in enumerate(examples) if i % folds != k)
        for i, e in enumerate(examples):
            if i % folds != k or not e.terms:
                continue
            rows = _house_columns(e, counts)
            keep = (e.rows[:, src_cols].sum(axis=1) > 0) | (rows[:, COL["house_tagged"]] > 0)
            xs.append(rows[keep])
            ys.append(e.labels[keep])
    if not xs:
        return np.zeros((0, len(BODY_FEATURES))), np.zeros(0)
    return np.vstack(xs), np.concatenate(ys)


def boost_from_prior(
    x: np.ndarray, y: np.ndarray, offset: np.ndarray, rounds: int = HOUSE_ROUNDS, rate: float = HOUSE_RATE,
    leaves: int = HOUSE_LEAVES, min_leaf: int = HOUSE_MIN_LEAF,
) -> list[list]:
    """Trees that correct a prior's log-odds (`offset`) toward the labels: Newton boosting of log loss with
    regression trees, each leaf's value the Newton step times `rate`, in the format ranker.Ranker walks."""
    from sklearn.tree import DecisionTreeRegressor

    f = offset.astype(np.float64).copy()
    trees = []
    for _ in range(rounds):
        p = 1.0 / (1.0 + np.exp(-np.clip(f, -30.0, 30.0)))
        hess = np.maximum(p * (1.0 - p), 1e-6)
        tree = DecisionTreeRegressor(max_leaf_nodes=leaves, min_samples_leaf=min_leaf, random_state=0)
        tree.fit(x, (y - p) / hess, sample_weight=hess)
        t = tree.tree_
        leaf = t.children_left < 0
        values = np.where(leaf, t.value[:, 0, 0] * rate, 0.0)
        trees.append([
            [0 if lf else int(v) for lf, v in zip(leaf, t.feature, strict=True)],
            [0.0 if lf else float(v) for lf, v in zip(leaf, t.threshold, strict=True)],
            [-1 if lf else int(v) for lf, v in zip(leaf, t.children_left, strict=True)],
            [-1 if lf else int(v) for lf, v in zip(leaf, t.children_right, strict=True)],
            [round(float(v), 6) for v in values],
        ])  # fmt: skip
        f += values[tree.apply(x.astype(np.float32))]
    return trees


def _ranker_scores(ranker: dict, rows: np.ndarray) -> np.ndarray:
    from xinwen.analysis.tags.ranker import Ranker

    if not len(rows):
        return np.zeros(0)
    return Ranker(ranker).scores(rows)


def fit_house(
    examples: Sequence[Example], prior: dict, rounds: int = HOUSE_ROUNDS, kind: str = "boosted"
) -> tuple[dict, dict]:
    """(house counts, ranker): the archive's counts and its ranker, learned as `kind` says (_house_ranker)."""
    x, y = _cross_fitted(examples)
    return house_counts(examples), _house_ranker(x, y, prior, kind, rounds)


def _house_ranker(x: np.ndarray, y: np.ndarray, prior: dict, kind: str, rounds: int = HOUSE_ROUNDS) -> dict:
    """A house's ranker from its cross-fitted rows and labels: "boosted", the prior ranker with trees boosted
    on the archive (tags chosen as the prior's are, with the salience formula); "own", trees fitted on the
    archive alone, which pick all three tags (`confident` 0). An archive whose candidates are all tags or
    none teaches no ranker of its own: it gets the boosted one."""
    from xinwen.analysis.tags.ranker import fit_trees

    if kind == "own" and y.any() and not y.all():
        ranker = fit_trees(x, y, OWN_TREES, OWN_LEAVES, features=BODY_FEATURES, learning_rate=OWN_RATE,
                           min_leaf=OWN_MIN_LEAF, max_features=SHIPPED_FEATURES)
        ranker.update(house_trees=len(ranker["trees"]), kind="own", confident=0.0)
        return ranker
    trees = boost_from_prior(x, y, _ranker_scores(prior, x), rounds) if len(y) and y.any() else []
    return {"features": list(BODY_FEATURES), "bias": prior["bias"], "trees": list(prior["trees"]) + trees,
            "house_trees": len(trees), "kind": "boosted"}


def compare_kinds(
    examples: Sequence[Example], articles: dict[str, Article], base: TagModel, prior: dict,
    stats: CorpusStats | None,
) -> dict[str, float]:
    """Each way of learning a house's ranker (KINDS), cross-validated on the archive: fitted without one of
    its folds (fold_of), that fold tagged by the public path; the mean F1@3 of each over every fold ({}
    when the archive's articles all fall in one fold). `articles`: the examples' articles by key. A larger
    archive is compared on its first COMPARE_MAX articles: enough to tell the ways apart, and the cost
    (each way fitted once per fold) stays bounded."""
    examples = examples[:COMPARE_MAX]
    folds = sorted({fold_of(e.key) for e in examples})
    if len(folds) < 2:
        return {}
    f1s: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for k in folds:
        train = [e for e in examples if fold_of(e.key) != k]
        held = [e for e in examples if fold_of(e.key) == k]
        x, y = _cross_fitted(train)  # the same rows and counts for every way
        counts = house_counts(train)
        for kind in KINDS:
            tags = _tag(with_house(base, counts, _house_ranker(x, y, prior, kind)), [articles[e.key] for e in held],
                        stats)
            f1s[kind] += [f1_at_k(t, e.gold) for t, e in zip(tags, held, strict=True)]
    return {kind: float(np.mean(v)) for kind, v in f1s.items()}


def best_kind(f1_kinds: dict[str, float]) -> str:
    """The kind that scored best (the first of KINDS on a tie or when nothing was compared)."""
    return max(KINDS, key=lambda k: (f1_kinds.get(k, -1.0), -KINDS.index(k)))


def with_house(base: TagModel, house: dict, body_ranker: dict) -> TagModel:
    """A copy of `base` that knows a house: its counts and its ranker (the rest shared, not copied)."""
    model = TagModel(
        base.n_docs, base.tags, base.present, base.assoc, base.base_rate, base.ranker, base.neighbours,
        body_ranker, house,
    )
    model.held_out_first = base.held_out_first
    model._index = base._index  # the neighbour index, when the base has built it already
    return model


def f1_at_k(predicted: Sequence[str], gold: set[str], k: int = K) -> float:
    hits = len({p.lower() for p in predicted[:k]} & gold)
    if not hits:
        return 0.0
    p, r = hits / k, hits / len(gold)
    return 2 * p * r / (p + r)


def learn_from_archive(
    articles: Iterable[Article], model: TagModel | None = None, stats: CorpusStats | None = None, *,
    held_out: bool = True, segmenter: Segmenter | None = None,
) -> tuple[TagModel, ArchiveReport]:
    """Learn a site's house style from its own tagged articles (`source_tags`, with a body): returns the
    model to tag its articles with (the shipped one, or `model`, with the house's vocabulary, counts and
    ranker: trees boosted on the prior, or its own, whichever `compare_kinds` found better) and a report of
    what was learned and what it measured on a fifth of the archive held out (learned on the other four
    fifths first, then on all of it). An archive of fewer than MIN_ARCHIVE tagged articles teaches
    nothing: the model comes back as it was."""
    from xinwen.evaluation.bootstrap import interval

    t0 = time.perf_counter()
    base = model if model is not None else TagModel.default()
    report = ArchiveReport()
    articles = list(articles)
    usable = [(article_key(a, i), a) for i, a in enumerate(articles) if a.source_tags and a.body]
    report.skipped = len(articles) - len(usable)
    prior = base.body_ranker
    if prior is None or len(usable) < MIN_ARCHIVE:
        report.notes.append(f"{len(usable)} tagged articles with a body: {MIN_ARCHIVE} are needed" if prior
                            else "the model has no long-text ranker to start from")
        report.seconds = time.perf_counter() - t0
        return base, report
    # candidates as the house model will see them: its tags are candidates too
    vocabulary = {t.lower(): [1, 1] for _, a in usable for t in a.source_tags}
    probe = with_house(base, {"terms": vocabulary, "base_rate": 0.05}, prior)
    examples = featurize(usable, probe, stats, segmenter)
    report.articles = len(examples)
    by_key = dict(usable)
    if held_out and len(examples) >= 2 * MIN_ARCHIVE:
        test = [e for e in examples if fold_of(e.key) == 0]
        train = [e for e in examples if fold_of(e.key) != 0]
        # the way of learning is chosen on the four fifths (the held-out fifth measures the choice too),
        # and the model for the whole archive is learned the same way
        report.f1_kinds = compare_kinds(train, by_key, base, prior, stats)
        counts, ranker = fit_house(train, prior, kind=best_kind(report.f1_kinds))
        # measured as the collection will tag: the public path, candidates made anew (the held-out
        # articles' tags are not in the vocabulary learned without them)
        held = [a for key, a in usable if fold_of(key) == 0]
        gold = [{t.lower() for t in a.source_tags} for a in held]
        before = [f1_at_k(t, g) for t, g in zip(_tag(with_house(base, {}, prior), held, stats), gold, strict=True)]
        after = [f1_at_k(t, g) for t, g in zip(_tag(with_house(base, counts, ranker), held, stats), gold,
                                                 strict=True)]
        report.held_out = len(test)
        report.f1_shipped, report.f1_learned = float(np.mean(before)), float(np.mean(after))
        report.f1_shipped_ci, report.f1_learned_ci = interval(before), interval(after)
    else:
        report.f1_kinds = compare_kinds(examples, by_key, base, prior, stats)
    counts, ranker = fit_house(examples, prior, kind=best_kind(report.f1_kinds))
    report.kind = ranker["kind"]
    report.tags = sum(1 for v in counts["terms"].values() if v[0])
    report.terms = len(counts["terms"])
    report.trees = ranker["house_trees"]
    report.seconds = time.perf_counter() - t0
    return with_house(base, counts, ranker), report


def _tag(model: TagModel, articles: Sequence[Article], stats: CorpusStats | None) -> list[list[str]]:
    """The tags the analyzer gives the articles with `model` (title and body only)."""
    from xinwen.analysis.pipeline import Analyzer

    analyzer = Analyzer(stats, model=model)
    return [analyzer.tag(Article(title=a.title, body=a.body))[0] for a in articles]  # analyze()'s tags, alone


def learn_house(
    articles: Iterable[Article], stats: CorpusStats | None = None, model: TagModel | None = None
) -> dict | None:
    """What `xinwen fit` keeps of a collection's own tagged articles (in its corpus statistics): the house
    counts, the ranker boosted on them and the report of what was learned and measured on the held-out
    fifth; None when the archive teaches nothing (fewer than MIN_ARCHIVE tagged articles with a body)."""
    from itertools import islice

    from xinwen.analysis.pipeline import active_tag_model

    tagged = islice((a for a in articles if a.source_tags and a.body), MAX_ARCHIVE)
    learned, report = learn_from_archive(tagged, model if model is not None else active_tag_model(), stats)
    kept = {k: v for k, v in report.to_dict().items() if k != "seconds"}  # the same archive, the same state
    if not report.trees and not report.terms:
        return {"report": kept} if report.skipped or report.notes else None
    return {**learned.house, "ranker": learned.body_ranker, "report": kept}


def house_model(base: TagModel, house: dict) -> TagModel:
    """`base` with what `learn_house` kept (the shipped model when the house learned nothing)."""
    if not house.get("ranker"):
        return base
    counts = {"terms": house.get("terms", {}), "base_rate": house.get("base_rate", 0.05)}
    return with_house(base, counts, house["ranker"])


def house_summary(house: dict | None) -> str:
    """One line on what a collection's tagged articles taught (ArchiveReport.summary), '' when nothing."""
    if not house or "report" not in house:
        return ""
    fields = {k: v for k, v in house["report"].items() if k in ArchiveReport.__dataclass_fields__}
    for k in ("f1_shipped_ci", "f1_learned_ci"):
        if k in fields:
            fields[k] = tuple(fields[k])
    return ArchiveReport(**fields).summary()
