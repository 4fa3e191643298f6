"""A learned ranker for the tags of a headline alone (no body to count words in).

With only a title there is no frequency to go by: which of its words an editor tags, and
which tags the title implies without saying them, is what the tagged archive knows. Each
candidate (a title word, a known tag phrase or two adjacent words, a tag associated with the
title's words, or a tag of similar archive titles, neighbours.py) gets a few features from the tag model, and
boosted trees fitted on the archive (`fit_trees`; `fit_ranker`, a logistic regression, is the
simpler alternative) score them. bench/build_tag_model.py fits them on tnews train with
cross-fitting (each fold's features come from a model that has not seen that fold), and the
trees ship inside the tag model as plain arrays, walked with numpy (`ranker_scores`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import numpy as np

from xinwen.analysis.lexicon import stopwords
from xinwen.analysis.segment import Tagged
from xinwen.analysis.stats import CorpusStats
from xinwen.analysis.tags.model import MAX_NGRAM, TagModel

POS_GROUPS = ("n", "nr", "ns", "nt", "nz", "v", "vn", "eng", "a", "l", "j", "x")
FEATURES = (
    "in_text", "keyphraseness", "log_present", "log_popularity", "assoc", "assoc_max", "log_assoc_support",
    "idf", "idf_rel", "length", "tokens", "ascii", "first_position", "known_tag", "in_text_x_kp",
    "absent_x_assoc", "knn_share", "knn_max", "absent_x_knn", "log_knn_share",
) + tuple("pos_" + p for p in POS_GROUPS) + ("pos_phrase", "pos_absent") + (
    "knn_voters", "knn_near", "vote_rank", "assoc_rank", "pos_join", "part_kp_min", "part_kp_max",
)  # fmt: skip
_WORD = re.compile(r"^[\w\u4e00-\u9fff]+$")
MAX_ASSOCIATED = 30  # associated tags considered per title
MAX_VOTED = 50  # tags of similar archive titles considered per title
JOINS = True  # two adjacent title words are a candidate too
Votes = dict[str, tuple[float, ...]]  # neighbours.NeighbourIndex.votes


def candidate_features(
    title: Tagged, model: TagModel, stats: CorpusStats, taggable: callable, votes: Votes | None = None
) -> tuple[list[str], np.ndarray]:
    """Candidates of a title and their feature rows (len(FEATURES) columns). `votes`: tags of
    similar archive titles (neighbours.py), looked up when not given."""
    words = [w for w, _ in title]
    if votes is None:
        index = model.neighbour_index()
        votes = index.votes("".join(words), words) if index is not None else {}
    stop = stopwords()
    n = len(words) or 1
    found: dict[str, tuple] = {}  # term -> (pos group, first position, tokens[, a join's two words])
    for i, (w, p) in enumerate(title):
        if len(w) >= 2 and w not in stop and taggable(w):
            found.setdefault(w, (p if p in POS_GROUPS else "x", i / n, 1))
    prefixes = model.prefixes()
    for i in range(len(words)):
        term = words[i]
        for j in range(i + 1, min(i + MAX_NGRAM, len(words))):
            term += words[j]
            if term in model.tags and taggable(term):
                found.setdefault(term, ("phrase", i / n, j - i + 1))
            elif term not in prefixes:
                break
    if JOINS:  # two adjacent words that editors may tag as one (智慧/校园, 黄冈/中学), unseen as a tag
        for i in range(len(words) - 1):
            a, b = words[i], words[i + 1]
            term = a + b
            if term not in found and len(term) <= 8 and _joinable(a, stop) and _joinable(b, stop) and taggable(term):
                found[term] = ("join", i / n, 2, (a, b))
    assoc: dict[str, float] = {}
    assoc_max: dict[str, float] = {}
    support: dict[str, int] = {}
    for w in dict.fromkeys(words):  # in order: the result must not depend on hashing
        pairs = model.assoc.get(w)
        if not pairs:
            continue
        denom = model.present.get(w, 0) + 10.0
        for tag, count in pairs:
            p = count / denom
            assoc[tag] = 1.0 - (1.0 - assoc.get(tag, 0.0)) * (1.0 - p)
            assoc_max[tag] = max(assoc_max.get(tag, 0.0), p)
            support[tag] = support.get(tag, 0) + 1
    assoc_order = sorted(assoc, key=lambda t: (-assoc[t], t))
    assoc_rank = {t: i for i, t in enumerate(assoc_order)}
    implied = [t for t in assoc_order[:MAX_ASSOCIATED] if t not in found and taggable(t)]
    seen = set(found) | set(implied)
    vote_order = sorted(votes, key=lambda t: (-votes[t][0], t))
    vote_rank = {t: i for i, t in enumerate(vote_order)}
    voted = [t for t in vote_order[:MAX_VOTED] if t not in seen and taggable(t)]
    terms = list(found) + implied + voted
    max_idf = max((stats.idf(t) for t, f in found.items() if f[0] != "join"), default=1.0) or 1.0
    rows = np.zeros((len(terms), len(FEATURES)))
    pos_col = {p: FEATURES.index("pos_" + p) for p in (*POS_GROUPS, "phrase", "absent", "join")}
    extra = FEATURES.index("knn_voters")
    for r, term in enumerate(terms):
        info = found.get(term)
        in_text = 1.0 if info else 0.0
        kp = model.keyphraseness(term)
        idf = stats.idf(term)
        a = assoc.get(term, 0.0)
        rows[r, :16] = (
            in_text, kp, math.log1p(model.present.get(term, 0)), math.log1p(model.popularity(term)),
            a, assoc_max.get(term, 0.0), math.log1p(support.get(term, 0)), idf / 12.0,
            idf / max_idf if info else 0.0, min(len(term), 8) / 8.0, (info[2] if info else 0) / MAX_NGRAM,
            1.0 if term.isascii() else 0.0, info[1] if info else 1.0, 1.0 if term in model.tags else 0.0,
            in_text * kp, (1.0 - in_text) * a,
        )  # fmt: skip
        share, best, voters, near = votes.get(term, (0.0, 0.0, 0.0, 0.0))
        rows[r, 16:20] = (share, best, (1.0 - in_text) * share, math.log(share + 0.01))
        rows[r, extra:] = (
            voters, near, math.log1p(vote_rank.get(term, 999)), math.log1p(assoc_rank.get(term, 999)),
            0.0, kp, kp,
        )  # fmt: skip
        if info and len(info) > 3:  # a join: how editors treat its parts
            kps = [model.keyphraseness(w) for w in info[3]]
            rows[r, extra + 5 :] = (min(kps), max(kps))
        rows[r, pos_col[info[0] if info else "absent"]] = 1.0
    return terms, rows


def _joinable(word: str, stop: frozenset[str] | set[str]) -> bool:
    return word not in stop and not word.isdigit() and _WORD.match(word) is not None


class HeadlineScores(dict):
    """Ranker scores of a headline's candidates. Editors often tag a term and a longer one
    holding it (北京 and 北京四中: a third of tnews titles with >= 3 tags has such a pair), and
    the ranker scores each as its own evidence says, so the best k are taken as they come
    (tags.choose), without collapsing overlapping terms into one."""


def score_title(
    title: Tagged, model: TagModel, stats: CorpusStats, taggable: callable
) -> HeadlineScores:
    """Ranker scores (log-odds that an editor tags the term) of a title's candidates."""
    terms, rows = candidate_features(title, model, stats, taggable)
    if not terms:
        return HeadlineScores()
    return HeadlineScores(zip(terms, model.headline_ranker().scores(rows).tolist(), strict=True))


def ranker_scores(ranker: dict, rows: np.ndarray) -> np.ndarray:
    """Log-odds of the rows under a ranker as saved (plain data)."""
    return Ranker(ranker).scores(rows)


class Ranker:
    """A saved ranker made ready to score: linear weights, or boosted trees as one set of arrays (child
    indices made global; a leaf's children are itself, with an infinite threshold) walked with numpy."""

    def __init__(self, ranker: dict) -> None:
        self.bias = float(ranker["bias"])
        self.weights = None if "trees" in ranker else np.asarray(ranker["weights"], dtype=np.float64)
        if self.weights is not None:
            return
        parts: list[list] = [[], [], [], [], []]
        roots = []
        offset = 0
        depth = 0
        for tree in ranker["trees"]:
            roots.append(offset)
            f, t, lt, rt, v = tree
            leaf = [x < 0 for x in lt]
            parts[0] += [0 if lf else x for x, lf in zip(f, leaf, strict=True)]
            parts[1] += [np.inf if lf else x for x, lf in zip(t, leaf, strict=True)]
            parts[2] += _global_children(lt, leaf, offset)
            parts[3] += _global_children(rt, leaf, offset)
            parts[4] += v
            offset += len(f)
            depth = max(depth, _depth(lt, rt))
        self.feature = np.asarray(parts[0], dtype=np.int64)
        self.threshold = np.asarray(parts[1], dtype=np.float64)
        self.left = np.asarray(parts[2], dtype=np.int64)
        self.right = np.asarray(parts[3], dtype=np.int64)
        self.value = np.asarray(parts[4], dtype=np.float64)
        self.roots = np.asarray(roots, dtype=np.int64)
        self.depth = depth
        self.leaf = self.left == np.arange(len(self.left))
        self.children = np.stack([self.left, self.right], axis=1).ravel()  # node * 2 + (goes right)

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """Log-odds of the feature rows."""
        if self.weights is not None:
            return rows @ self.weights + self.bias
        rows = np.ascontiguousarray(rows, dtype=np.float64)
        flat = rows.ravel()
        n, trees = len(rows), len(self.roots)
        # every row walks every tree; a (row, tree) pair leaves the walk at its leaf, so that the work is
        # the sum of the paths' lengths rather than the deepest tree's depth times all pairs
        start = np.repeat(np.arange(n, dtype=np.int64) * rows.shape[1], trees)
        node = np.tile(self.roots, n)
        active = np.flatnonzero(~self.leaf[node])
        base = start[active]
        for _ in range(self.depth):
            if not active.size:
                break
            at = node[active]
            right = flat[base + self.feature[at]] > self.threshold[at]
            at = self.children[2 * at + right]
            node[active] = at
            going = ~self.leaf[at]
            active, base = active[going], base[going]
        return self.bias + self.value[node].reshape(n, trees).sum(axis=1)


def _global_children(children: list[int], leaf: list[bool], offset: int) -> list[int]:
    """A tree's child indices among all trees' nodes; a leaf's child is itself."""
    return [offset + (i if lf else c) for i, (c, lf) in enumerate(zip(children, leaf, strict=True))]


def _depth(left: list[int], right: list[int]) -> int:
    """Edges on the longest path from the root (node 0) to a leaf."""
    deepest, todo = 0, [(0, 0)]
    while todo:
        i, d = todo.pop()
        if left[i] < 0:
            deepest = max(deepest, d)
        else:
            todo += [(left[i], d + 1), (right[i], d + 1)]
    return deepest


def training_rows(
    examples: Iterable[tuple[Tagged, list[str], Votes]], model: TagModel, stats: CorpusStats, taggable: callable
) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows and labels (the candidate is one of the editor's tags) of tagged titles,
    each with the votes of archive titles not counted in `model`."""
    xs, ys = [], []
    for title, gold, votes in examples:
        terms, rows = candidate_features(title, model, stats, taggable, votes)
        if terms:
            xs.append(rows)
            gold_set = set(gold)
            ys.append(np.array([t in gold_set for t in terms], dtype=np.int8))
    if not xs:
        return np.zeros((0, len(FEATURES))), np.zeros(0)
    return np.vstack(xs), np.concatenate(ys)


def fit_trees(
    x: np.ndarray, y: np.ndarray, iterations: int = 250, leaves: int = 31, *, features: tuple[str, ...] = FEATURES,
    learning_rate: float = 0.1, min_leaf: int = 20, max_features: float = 1.0, sample_weight: np.ndarray | None = None,
) -> dict:
    """Gradient-boosted trees (log loss), as plain data for the tag model: per tree the
    arrays feature, threshold, left, right (-1 at a leaf) and value. `features` names the columns
    (the headline ranker's FEATURES, or body.BODY_FEATURES for the long-text ranker)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    gb = HistGradientBoostingClassifier(
        max_iter=iterations, max_leaf_nodes=leaves, learning_rate=learning_rate, early_stopping=False,
        random_state=0, min_samples_leaf=min_leaf, max_features=max_features,
    ).fit(x, y, sample_weight=sample_weight)
    trees = []
    for (pred,) in gb._predictors:
        nodes = pred.nodes
        leaf = nodes["is_leaf"].astype(bool)
        trees.append([
            [int(f) for f in nodes["feature_idx"]],
            [float(t) for t in nodes["num_threshold"]],  # exact: features often equal a threshold
            [-1 if lf else int(v) for lf, v in zip(leaf, nodes["left"], strict=True)],
            [-1 if lf else int(v) for lf, v in zip(leaf, nodes["right"], strict=True)],
            [round(float(v), 6) if lf else 0.0 for lf, v in zip(leaf, nodes["value"], strict=True)],
        ])  # fmt: skip
    return {"features": list(features), "bias": float(np.ravel(gb._baseline_prediction)[0]), "trees": trees}


def fit_ranker(x: np.ndarray, y: np.ndarray, c: float = 1.0) -> dict:
    """Logistic regression weights, as plain data for the tag model."""
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=c, max_iter=2000).fit(x, y)
    return {
        "features": list(FEATURES), "weights": [round(float(w), 5) for w in lr.coef_[0]],
        "bias": round(float(lr.intercept_[0]), 5),
    }  # fmt: skip
