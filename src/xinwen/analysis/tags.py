"""Pick the tags an editor would: weighted TF-IDF over already-segmented words.

Title words weigh more than body words, lead sentences more than the rest; only
content parts of speech qualify; numbers, single characters, English fragments
and generic news words never become tags; a candidate contained in a longer
chosen one (宝山 / 宝山区) collapses into it.
"""

from __future__ import annotations

import re
from collections import defaultdict

from xinwen.analysis.segment import Segmented
from xinwen.analysis.stats import CorpusStats, stopwords

CONTENT_POS = frozenset({"n", "nr", "ns", "nt", "nz", "nw", "vn", "an", "nrt", "nrfg", "j", "l", "i", "eng"})
_BAD = re.compile(r"^[\d０-９.,%％\-+:：/年月日号时分秒个多余万亿]+$|^[A-Za-z]{1,2}$")
_CJK = re.compile(r"[\u4e00-\u9fff]")

TITLE_WEIGHT = 3.0
LEAD_WEIGHT = 1.5
LEAD_WORDS = 60


def is_candidate(word: str, pos: str) -> bool:
    if len(word) < 2 or pos not in CONTENT_POS or word in stopwords():
        return False
    if _BAD.match(word):
        return False
    return bool(_CJK.search(word))


def score_candidates(seg: Segmented, stats: CorpusStats) -> dict[str, float]:
    tf: dict[str, float] = defaultdict(float)
    for word, pos in seg.title:
        if is_candidate(word, pos):
            tf[word] += TITLE_WEIGHT
    for i, (word, pos) in enumerate(seg.body):
        if is_candidate(word, pos):
            tf[word] += LEAD_WEIGHT if i < LEAD_WORDS else 1.0
    return {w: f * stats.idf(w) for w, f in tf.items()}


def pick_tags(seg: Segmented, stats: CorpusStats, k: int = 3) -> list[str]:
    scores = score_candidates(seg, stats)
    chosen: list[str] = []
    for word in sorted(scores, key=lambda w: (-scores[w], w)):
        if any(word in c or c in word for c in chosen):
            continue
        chosen.append(word)
        if len(chosen) == k:
            break
    return chosen
