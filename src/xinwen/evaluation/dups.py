"""`xinwen eval dups`: copies planted among the whole xinwenlianbo corpus, found or not, kind by kind;
and real template stories of the corpus, kept apart or not.

For each kind of copy below, `n` stories (bodies of at least copycheck.MIN_CHARS characters) are
copied, each copy with a new date (30-400 days later) and the edits of its kind:

- tuned: what the check was first tuned on: no change to the text, 5-10% of its Chinese characters
  replaced by others drawn from the corpus, or cut to 70% of its length; a source line on top and an
  editor line at the end, each with chance 1/2 (`plant_copy`); of stories long enough for 70% of them
  to take part in copy detection (shorter copies take no part by design: copycheck.MIN_CHARS).
- replace5, replace10: 5% or 10% of the characters replaced at random places, anywhere (inside
  figures, dates, names, punctuation and white space too), by characters drawn from the corpus.
- indel5, indel10: 5% or 10% as many characters as the text has inserted or deleted, half each, at
  random places, anywhere (inside figures, dates and names too): an insertion is a Chinese character
  drawn from the corpus, a digit or a punctuation mark (typing and OCR errors: 2023 -> 20123, 习近平
  -> 习平).
- excerpt: 40-100% of the story, cut at any point at both ends (of stories long enough for 40% of
  them to take part in copy detection).
- reorder: the paragraphs (lines) in another order.
- traditional: in Traditional script (OpenCC s2t, with its phrase conversion).
- fullwidth: digits, letters and punctuation as full-width forms (２０２４年３．５％).
- headers: 1-3 header lines (来源, 原标题, 作者, 编辑) and 1-3 footer lines (责任编辑, share prompts,
  纠错, 打印), or a bracketed source at the end of the last paragraph.
- combined: an excerpt, reordered, 5% replaced, with headers and footers, in Traditional script
  and full-width forms.

The copies are shuffled into the corpus, so about half arrive before their original, and everything
is ingested into a new collection with the public API; `Collection.duplicates()` is then read back.

- recall: planted copies in the same cluster as their original.
- precision: of the other articles clustered with a planted copy, those that are its original, a
  story whose text is the original's (character-trigram Jaccard >= TWIN_JACCARD, measured directly:
  the corpus prints some stories twice) or another planted copy of those.
- canonical: clusters holding a copy and its original whose canonical is not the copy.

Negatives, from the corpus itself (stories of different dates that share at least half of the
shorter one's character trigrams, the shorter at least half the longer):
- templates: pairs whose texts, aligned by difflib (another aligner than the check's), hold other
  figures or Chinese numbers in the same place (3日 / 23日, 二次会议 / 四次会议), or the same
  two-character-or-longer replacement twice (a name: 夏巴兹 ... 夏巴兹 / 塔里克 ... 塔里克): state
  visits, obituaries, sessions, reports. Up to N_TEMPLATES pairs; a false cluster is a pair found in
  one cluster.
- overlaps: the other pairs of different stories with that much overlap (Jaccard below
  TWIN_JACCARD): announcements and their follow-ups, series with a shared frame.

The anchor gets the same corpus and copies: TF-IDF (sublinear tf) cosine over jieba tokens,
a copy's partners being the stories at cosine >= ANCHOR_THRESHOLD.
"""

from __future__ import annotations

import difflib
import json
import random
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from xinwen.evaluation import datasets
from xinwen.evaluation.bootstrap import interval, ratio_interval
from xinwen.linking.copycheck import MIN_CHARS, normalize

N_PLANTED = 1000  # copies of each kind
N_TEMPLATES = 1000
SEED = 4
ANCHOR_THRESHOLD = 0.8
TWIN_JACCARD = 0.9
OVERLAP = 0.5  # the negatives' share of the shorter story's trigrams found in the longer
SOURCE_LINES = ["来源：新华网", "（来源：人民日报客户端）", "来源：央视新闻客户端", "本文来源：光明网", "转自：中国新闻网"]
EDITOR_LINES = ["（责任编辑：王晓明）", "责任编辑：李娜", "【编辑：张伟】", "（编辑：陈静　审核：刘洋）"]
AUTHOR_LINES = ["作者：王静", "记者：李明 张华", "文/赵磊", "编辑：孙丽"]
FOOTER_LINES = ["分享到：微信 微博 QQ空间", "扫一扫，分享到朋友圈", "【纠错】", "打印本页 关闭窗口", "点击右上角分享",
                "【责任编辑：周涛】", "（本文来源：经济日报）", "版权所有，未经授权不得转载"]
KINDS = ("tuned", "replace5", "replace10", "excerpt", "reorder", "traditional", "fullwidth", "headers", "combined",
         "indel5", "indel10")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_CN_DIGITS = set("〇零一二三四五六七八九十百千万两")


@dataclass
class Planted:
    copy: dict[str, Any]  # the record ingested
    original: str  # id of the story copied
    edits: tuple[str, ...]
    kind: str = "tuned"


def plant_copy(story: dict[str, Any], rng: random.Random, chars: Sequence[str], n: int = 0) -> Planted:
    """A republished copy of `story` (a xinwenlianbo record) with the edits the check was first tuned on
    (the kind "tuned" above)."""
    kind = rng.choice(["none", "change", "cut"])
    edits = [] if kind == "none" else [kind]
    body = story["body"]
    if kind == "change":
        body = change_characters(body, rng.uniform(0.05, 0.10), rng, chars)
    elif kind == "cut":
        body = body[: int(len(body) * 0.7)]
    if rng.random() < 0.5:
        body = rng.choice(SOURCE_LINES) + "\n" + body
        edits.append("source")
    if rng.random() < 0.5:
        body = body + "\n" + rng.choice(EDITOR_LINES)
        edits.append("editor")
    return Planted(_record(story, body, rng, f"copy{n}-{story['id']}"), story["id"], ("new date", *edits))


def _record(story: dict[str, Any], body: str, rng: random.Random, copy_id: str) -> dict[str, Any]:
    day = date.fromisoformat(story["date"]) + timedelta(days=rng.randint(30, 400))
    return {"id": copy_id, "title": story["title"], "date": day.isoformat(), "body": body}


def change_characters(text: str, share: float, rng: random.Random, chars: Sequence[str]) -> str:
    """Replace `share` of the Chinese characters of `text` at random places."""
    places = [i for i, ch in enumerate(text) if _CJK.match(ch)]
    out = list(text)
    for i in rng.sample(places, int(round(len(places) * share))):
        out[i] = rng.choice(chars)
    return "".join(out)


def replace_anywhere(text: str, share: float, rng: random.Random, chars: Sequence[str]) -> str:
    """Replace `share` of all the characters of `text` (figures, names, punctuation and white space too) at
    random places, by characters drawn from `chars` (OCR errors, typos, a stray character in a figure)."""
    out = list(text)
    for i in rng.sample(range(len(text)), int(round(len(text) * share))):
        out[i] = rng.choice(chars)
    return "".join(out)


_INSERTED_MARKS = "0123456789，。、：；（）《》“”-.%"


def insert_delete(text: str, share: float, rng: random.Random, chars: Sequence[str]) -> str:
    """Insert or delete characters at random places, anywhere (figures, names, punctuation and white space
    too): `share` times the text's length edits, half insertions (a character drawn from `chars`, or one
    time in four a digit or a punctuation mark), half deletions (typing and OCR errors)."""
    n = int(round(len(text) * share))
    deleted = set(rng.sample(range(len(text)), min(len(text), n // 2)))
    inserted: dict[int, list[str]] = {}
    for _ in range(n - len(deleted)):
        ch = rng.choice(_INSERTED_MARKS) if rng.random() < 0.25 else rng.choice(chars)
        inserted.setdefault(rng.randint(0, len(text)), []).append(ch)
    out = []
    for i, ch in enumerate(text):
        out += inserted.get(i, [])
        if i not in deleted:
            out.append(ch)
    out += inserted.get(len(text), [])
    return "".join(out)


def excerpt(text: str, rng: random.Random) -> str:
    """40-100% of the text, from a random place on (both ends cut anywhere, mid-word too)."""
    n = max(1, int(round(len(text) * rng.uniform(0.4, 1.0))))
    start = rng.randint(0, len(text) - n)
    return text[start : start + n]


def reorder(text: str, rng: random.Random) -> str:
    """The lines of the text in another order (the same order only when it has one line)."""
    lines = text.split("\n")
    if len(lines) < 2:
        return text
    order = list(range(len(lines)))
    while order == sorted(order):
        rng.shuffle(order)
    return "\n".join(lines[i] for i in order)


def traditional(text: str) -> str:
    """The text in Traditional script (OpenCC s2t: characters and phrases)."""
    return _s2t().convert(text)


_S2T: list[Any] = []


def _s2t() -> Any:
    if not _S2T:
        import opencc

        _S2T.append(opencc.OpenCC("s2t"))
    return _S2T[0]


_WIDE = str.maketrans({chr(0x21 + i): chr(0xFF01 + i) for i in range(94)} | {" ": "\u3000"})


def fullwidth(text: str) -> str:
    """Digits, letters, ASCII punctuation and spaces as their full-width forms."""
    return text.translate(_WIDE)


def headers(text: str, title: str, rng: random.Random) -> str:
    """The text with 1-3 header lines (source, 原标题, author, editor) and 1-3 footer lines (editor, share
    prompts, 纠错, 打印), or, one time in four, a bracketed source at the end of its last line."""
    top = rng.sample([rng.choice(SOURCE_LINES), f"原标题：{title}", rng.choice(AUTHOR_LINES)], rng.randint(1, 3))
    if rng.random() < 0.25:
        return "\n".join(top) + "\n" + text + rng.choice(["（来源：人民日报）", "（责任编辑：李娜）", "【来源：新华社】"])
    bottom = rng.sample([rng.choice(EDITOR_LINES), *rng.sample(FOOTER_LINES, 2)], rng.randint(1, 3))
    return "\n".join(top) + "\n" + text + "\n" + "\n".join(bottom)


def plant(story: dict[str, Any], kind: str, rng: random.Random, chars: Sequence[str], n: int) -> Planted:
    """A copy of `story` of one of the KINDS (see the module text)."""
    if kind == "tuned":
        p = plant_copy(story, rng, chars, n)
        return Planted(dict(p.copy, id=f"copy-tuned-{n}-{story['id']}"), p.original, p.edits, kind)
    body = story["body"]
    steps: dict[str, Callable[[str], str]] = {
        "replace5": lambda t: replace_anywhere(t, 0.05, rng, chars),
        "replace10": lambda t: replace_anywhere(t, 0.10, rng, chars),
        "indel5": lambda t: insert_delete(t, 0.05, rng, chars),
        "indel10": lambda t: insert_delete(t, 0.10, rng, chars),
        "excerpt": lambda t: excerpt(t, rng),
        "reorder": lambda t: reorder(t, rng),
        "traditional": traditional,
        "fullwidth": fullwidth,
        "headers": lambda t: headers(t, story["title"], rng),
    }
    if kind == "combined":
        for step in ("excerpt", "reorder", "replace5", "headers", "traditional", "fullwidth"):
            body = steps[step](body)
    else:
        body = steps[kind](body)
    return Planted(_record(story, body, rng, f"copy-{kind}-{n}-{story['id']}"), story["id"], ("new date", kind), kind)


@dataclass
class DupsReport:
    n_corpus: int = 0
    n_planted: int = 0
    xinwen: dict[str, Any] = field(default_factory=dict)
    anchor: dict[str, Any] = field(default_factory=dict)
    kinds: dict[str, dict[str, Any]] = field(default_factory=dict)  # kind -> {"xinwen": ..., "tfidf-cosine": ...}
    negatives: dict[str, dict[str, Any]] = field(default_factory=dict)  # "templates", "overlaps"
    missing: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"corpus": "xinwenlianbo", "n_corpus": self.n_corpus, "n_planted": self.n_planted,
                "xinwen": self.xinwen, "tfidf-cosine": self.anchor, "kinds": self.kinds,
                "negatives": self.negatives, "missing": self.missing}


def planted_corpus(n: int = N_PLANTED, limit: int | None = None, seed: int = SEED,
                   kinds: Sequence[str] = KINDS) -> tuple[list[dict[str, Any]], list[Planted]]:
    """The corpus (its first `limit` stories) and `n` copies of each kind, of stories drawn for each kind."""
    stories = list(datasets.records("xinwenlianbo.jsonl.gz"))
    if limit:
        stories = stories[:limit]
    rng = random.Random(seed)
    chars = [ch for s in stories[:3000] for ch in s["body"] if _CJK.match(ch)]
    sizes = {s["id"]: len(normalize(s["body"])) for s in stories}
    pool = [s for s in stories if sizes[s["id"]] >= MIN_CHARS]
    planted = []
    for kind in kinds:
        candidates = pool
        if kind == "reorder":
            candidates = [s for s in pool if "\n" in s["body"].strip()]
        elif kind in ("excerpt", "combined"):  # a 40% excerpt still long enough to take part
            candidates = [s for s in pool if sizes[s["id"]] * 0.4 >= MIN_CHARS]
        elif kind == "tuned":  # a copy cut to 70% still long enough to take part
            candidates = [s for s in pool if sizes[s["id"]] * 0.7 >= MIN_CHARS]
        for i, s in enumerate(rng.sample(candidates, min(n, len(candidates)))):
            planted.append(plant(s, kind, rng, chars, i))
    return stories, planted


# -- the corpus's own pairs ------------------------------------------------------------------------

def trigram_matrix(stories: list[dict[str, Any]]) -> Any:
    """Stories x distinct character trigrams of their normalized bodies (scipy CSR, 0/1)."""
    import scipy.sparse as sp

    vocab: dict[str, int] = {}
    indptr, cols = [0], []
    for s in stories:
        norm = normalize(s["body"])
        grams = {norm[i : i + 3] for i in range(len(norm) - 2)}
        cols.extend(vocab.setdefault(g, len(vocab)) for g in grams)
        indptr.append(len(cols))
    data = np.ones(len(cols), dtype=np.float32)
    return sp.csr_matrix((data, np.array(cols, dtype=np.int64), np.array(indptr)), shape=(len(stories), len(vocab)))


def overlapping_pairs(m: Any, min_share: float = OVERLAP, min_size: int = MIN_CHARS) -> np.ndarray:
    """Pairs (i < j) of rows sharing at least `min_share` of the smaller row's trigrams, the smaller at
    least half the larger: rows (i, j, shared, jaccard)."""
    sizes = np.asarray(m.sum(axis=1)).ravel()
    out = []
    for start in range(0, m.shape[0], 1000):
        inter = (m[start : start + 1000] @ m.T).tocoo()
        i, j, v = inter.row + start, inter.col, inter.data
        small, large = np.minimum(sizes[i], sizes[j]), np.maximum(sizes[i], sizes[j])
        keep = (j > i) & (small >= min_size) & (v >= min_share * small) & (small >= 0.5 * large)
        i, j, v = i[keep], j[keep], v[keep]
        out.append(np.stack((i, j, v / np.minimum(sizes[i], sizes[j]), v / (sizes[i] + sizes[j] - v)), axis=1))
    return np.concatenate(out) if out else np.empty((0, 4))


def twins(stories: list[dict[str, Any]], ids: set[str], m: Any = None) -> dict[str, set[str]]:
    """For each id in `ids`: the stories whose text is the same (trigram Jaccard >= TWIN_JACCARD)."""
    m = trigram_matrix(stories) if m is None else m
    sizes = np.asarray(m.sum(axis=1)).ravel()
    where = {s["id"]: i for i, s in enumerate(stories)}
    order = sorted(ids)
    rows_of = np.array([where[sid] for sid in order], dtype=np.int64)
    out: dict[str, set[str]] = {}
    for start in range(0, len(order), 500):
        part = rows_of[start : start + 500]
        inter = (m[part] @ m.T).toarray()
        jac = inter / np.maximum(sizes[part][:, None] + sizes[None, :] - inter, 1)
        for k, i in enumerate(part.tolist()):
            out[order[start + k]] = {stories[j]["id"] for j in np.flatnonzero(jac[k] >= TWIN_JACCARD) if j != i}
    return out


def template_slots(a: str, b: str, cap: int = 1500) -> list[str]:
    """Why difflib's alignment of two normalized bodies says they are one template with other names or
    figures: each replacement of a figure or Chinese number by another ("3/23"), and each replacement of
    two or more characters made at two places or more ("夏巴兹/塔里克"). Empty: no such slot."""
    x, y = normalize(a)[:cap], normalize(b)[:cap]
    out = []
    names: Counter[tuple[str, str]] = Counter()
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, x, y, autojunk=False).get_opcodes():
        if op != "replace":
            continue
        u, v = x[i1:i2], y[j1:j2]
        # the figure around the slot: digits next to it on both sides belong to it
        while i1 > 0 and j1 > 0 and x[i1 - 1] == y[j1 - 1] and (x[i1 - 1].isdigit() or x[i1 - 1] in _CN_DIGITS):
            i1, j1 = i1 - 1, j1 - 1
        while i2 < len(x) and j2 < len(y) and x[i2] == y[j2] and (x[i2].isdigit() or x[i2] in _CN_DIGITS):
            i2, j2 = i2 + 1, j2 + 1
        fx, fy = x[i1:i2], y[j1:j2]
        if (fx.isascii() and fx.isdigit() and fy.isascii() and fy.isdigit()) or (
                set(fx) <= _CN_DIGITS and set(fy) <= _CN_DIGITS):
            out.append(f"{fx}/{fy}")
        elif len(u) >= 2 and len(v) >= 2:
            names[(u, v)] += 1
    out += [f"{u}/{v}" for (u, v), k in names.items() if k >= 2]
    return out


def corpus_negatives(stories: list[dict[str, Any]], m: Any, limit: int = N_TEMPLATES, seed: int = SEED
                     ) -> tuple[list[tuple[str, str, list[str]]], list[tuple[str, str]]]:
    """Template pairs (id, id, their slots) and other overlapping pairs of different stories (id, id) of the
    corpus, up to `limit` of each (see the module text), in an order drawn with `seed`."""
    pairs = overlapping_pairs(m)
    order = list(range(len(pairs)))
    random.Random(seed).shuffle(order)
    templates: list[tuple[str, str, list[str]]] = []
    overlaps: list[tuple[str, str]] = []
    for k in order:
        if len(templates) >= limit and len(overlaps) >= limit:
            break
        i, j, _, jac = pairs[k]
        a, b = stories[int(i)], stories[int(j)]
        if a.get("date") == b.get("date"):
            continue  # one day's bulletin may hold a story and its summary
        slots = template_slots(a["body"], b["body"])
        if slots and len(templates) < limit:
            templates.append((a["id"], b["id"], slots))
        elif not slots and jac < TWIN_JACCARD and len(overlaps) < limit:
            overlaps.append((a["id"], b["id"]))
    return templates, overlaps


# -- scoring ---------------------------------------------------------------------------------------

def score(clusters: dict[str, list[str]], planted: list[Planted], truth: dict[str, set[str]]) -> dict[str, Any]:
    """clusters: article id -> ids of its cluster (canonical first). truth: original id -> the ids that
    may stand with its copies (its twins and the other copies of it and of them)."""
    found: list[float] = []
    rights: list[float] = []
    pairs: list[float] = []
    canonical_ok = canonical_n = 0
    for p in planted:
        group = clusters.get(p.copy["id"], [])
        others = [x for x in group if x != p.copy["id"]]
        found.append(float(p.original in others))
        ok = {p.original} | truth.get(p.original, set())
        rights.append(sum(1 for x in others if x in ok))
        pairs.append(len(others))
        if p.original in others:
            canonical_n += 1
            canonical_ok += group[0] != p.copy["id"]
    right, total = int(sum(rights)), int(sum(pairs))
    return {"n": len(planted), "recall": round(sum(found) / max(1, len(planted)), 4),
            "recall_ci": [round(v, 4) for v in interval(found)] if planted else [0.0, 0.0],
            "precision": round(right / max(1, total), 4),
            "precision_ci": [round(v, 4) for v in ratio_interval(rights, pairs)] if total else [1.0, 1.0],
            "pairs_right": right, "pairs_wrong": total - right,
            "canonical_not_the_copy": round(canonical_ok / max(1, canonical_n), 4)}


def negatives_score(pairs: Sequence[tuple[str, ...]] | Sequence[tuple[str, str, list[str]]],
                    clusters: dict[str, list[str]], stories: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """How many pairs of different stories were put in one cluster, with a few of them."""
    together = [p for p in pairs if p[1] in clusters.get(p[0], [])]
    return {"pairs": len(pairs), "false_clusters": len(together),
            "rate": round(len(together) / max(1, len(pairs)), 4),
            "apart": round(1 - len(together) / max(1, len(pairs)), 4),  # what the quality floors hold
            "rate_ci": [round(v, 4) for v in interval([float(p[1] in clusters.get(p[0], [])) for p in pairs])]
            if pairs else [0.0, 0.0],
            "examples": [{"ids": [p[0], p[1]], "titles": [stories[p[0]]["title"], stories[p[1]]["title"]],
                          **({"slots": p[2][:4]} if len(p) > 2 else {})} for p in together[:5]]}


def evaluate_dups(n: int = N_PLANTED, limit: int | None = None) -> DupsReport:
    """Plant `n` copies of each kind among the corpus (its first `limit` stories), ingest, and score."""
    from xinwen.collection import Collection
    from xinwen.evaluation.datasets import DatasetMissing

    try:
        stories, planted = planted_corpus(n, limit)
    except DatasetMissing as exc:
        return DupsReport(missing=[str(exc)])
    records = [{k: s[k] for k in ("id", "title", "date", "body", "url") if k in s} for s in stories]
    stream = records + [p.copy for p in planted]
    random.Random(SEED + 1).shuffle(stream)
    m = trigram_matrix(stories)
    truth = _truth(stories, planted, m)
    templates, overlaps = corpus_negatives(stories, m, N_TEMPLATES if not limit else min(N_TEMPLATES, limit // 3))
    report = DupsReport(len(stories), len(planted))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in stream), encoding="utf-8")
        with Collection(Path(tmp) / "dups.db") as c:
            start = time.perf_counter()
            c.ingest([path], progress=False, fit=False)
            seconds = time.perf_counter() - start
            clusters: dict[str, list[str]] = {}
            all_clusters = c.duplicates()
            for cl in all_clusters:
                ids = [cl.canonical.id] + [a.id for a in cl.copies]
                for i in ids:
                    clusters[i] = ids
    planted_ids = {p.copy["id"] for p in planted}
    natural = [cl for cl in all_clusters if not ({cl.canonical.id} | {a.id for a in cl.copies}) & planted_ids]
    report.xinwen = score(clusters, planted, truth) | {
        "clusters_without_planted_copies": len(natural), "ingest_ms_per_article": round(seconds * 1000 / len(stream), 3)}
    anchor_clusters = anchor_partners(stories, planted)
    report.anchor = _anchor(score(anchor_clusters, planted, truth))
    for kind in dict.fromkeys(p.kind for p in planted):
        mine = [p for p in planted if p.kind == kind]
        report.kinds[kind] = {"xinwen": score(clusters, mine, truth),
                              "tfidf-cosine": _anchor(score(anchor_clusters, mine, truth))}
    by_id = {s["id"]: s for s in stories}
    report.negatives = {"templates": negatives_score(templates, clusters, by_id),
                        "overlaps": negatives_score(overlaps, clusters, by_id)}
    return report


def _truth(stories: list[dict[str, Any]], planted: list[Planted], m: Any) -> dict[str, set[str]]:
    """original id -> its twins, and every planted copy of it or of its twins."""
    same = twins(stories, {p.original for p in planted}, m)
    copies: dict[str, set[str]] = {}
    for p in planted:
        copies.setdefault(p.original, set()).add(p.copy["id"])
    out = {}
    for original, others in same.items():
        out[original] = set(others) | copies.get(original, set())
        for t in others:
            out[original] |= copies.get(t, set())
    return out


def _anchor(d: dict[str, Any]) -> dict[str, Any]:
    d.pop("canonical_not_the_copy", None)
    return d | {"threshold": ANCHOR_THRESHOLD}


def anchor_partners(stories: list[dict[str, Any]], planted: list[Planted]) -> dict[str, list[str]]:
    """Each planted copy's partners under the anchor: the stories and copies at TF-IDF cosine >=
    ANCHOR_THRESHOLD (jieba tokens, sublinear tf), the copy first."""
    import logging

    import jieba
    from sklearn.feature_extraction.text import TfidfVectorizer

    jieba.setLogLevel(logging.WARNING)
    word = re.compile(r"\w")
    docs = [[w for w in jieba.lcut(s["body"]) if word.search(w)] for s in stories]
    docs += [[w for w in jieba.lcut(p.copy["body"]) if word.search(w)] for p in planted]
    x = TfidfVectorizer(analyzer=lambda d: d, sublinear_tf=True).fit_transform(docs)
    n = len(stories)
    ids = [s["id"] for s in stories] + [p.copy["id"] for p in planted]
    clusters = {}
    for start in range(0, len(planted), 500):  # 500 copies at a time: memory stays bounded
        sims = (x[n + start : n + start + 500] @ x.T).toarray()
        for k in range(sims.shape[0]):
            p = planted[start + k]
            sims[k, n + start + k] = -1.0
            clusters[p.copy["id"]] = [p.copy["id"]] + [ids[j] for j in np.flatnonzero(sims[k] >= ANCHOR_THRESHOLD)]
    return clusters


def anchor_score(stories: list[dict[str, Any]], planted: list[Planted], truth: dict[str, set[str]]) -> dict[str, Any]:
    """The anchor's figures over all planted copies."""
    return _anchor(score(anchor_partners(stories, planted), planted, truth))


def _ci(d: dict[str, Any], key: str) -> str:
    lo, hi = d.get(f"{key}_ci", [d[key], d[key]])
    return f"{d[key]:.4f} [{lo:.3f}-{hi:.3f}]"


def format_report(report: DupsReport) -> str:
    if report.missing:
        return "\n".join(report.missing)
    x, a = report.xinwen, report.anchor
    per_kind = (report.n_planted // max(1, len(report.kinds))) if report.kinds else report.n_planted
    lines = [f"xinwenlianbo: {report.n_corpus} stories, {report.n_planted} planted copies ({per_kind} of each kind)",
             f"{'':18} {'recall [95% CI]':>24} {'precision [95% CI]':>24} {'right/wrong':>12}"
             f" {'TF-IDF recall':>14} {'precision':>10}"]
    rows = [*report.kinds.items(), ("all", {"xinwen": x, "tfidf-cosine": a})]
    for name, d in rows:
        ours, anchor = d["xinwen"], d["tfidf-cosine"]
        lines.append(f"{name:18} {_ci(ours, 'recall'):>24} {_ci(ours, 'precision'):>24} "
                     f"{str(ours['pairs_right']) + '/' + str(ours['pairs_wrong']):>12}"
                     f" {anchor['recall']:>14.4f} {anchor['precision']:>10.4f}")
    for name, d in report.negatives.items():
        lines.append(f"{name} (pairs of different stories): {d['false_clusters']} of {d['pairs']} in one cluster "
                     f"(rate {d['rate']:.4f}, 95% CI {d['rate_ci'][0]:.4f}-{d['rate_ci'][1]:.4f})")
        for e in d["examples"][:3]:
            lines.append(f"  {e['titles'][0][:30]} | {e['titles'][1][:30]}")
    lines.append(f"canonical is not the copy: {x['canonical_not_the_copy']:.4f}; clusters without planted "
                 f"copies: {x['clusters_without_planted_copies']}; ingest {x['ingest_ms_per_article']} ms/article; "
                 f"TF-IDF cosine >= {ANCHOR_THRESHOLD} is the anchor")
    return "\n".join(lines)
