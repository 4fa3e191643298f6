"""N-sentence extractive summaries: TextRank over the body's sentences, with a lead prior.

Sentences are linked by the content words they share (similarity as in Mihalcea &
Tarau's TextRank: overlap / (log |a| + log |b|)); PageRank finds the central ones. News
puts the point first, so each sentence's score is multiplied by a prior that decays
with its position, and a sentence that repeats the title or says little is skipped.
The chosen sentences are returned in the order of the story, datelines removed.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from xinwen.analysis.lexicon import stopwords
from xinwen.analysis.snippet import _BOILERPLATE, clean_lead
from xinwen.analysis.textrank import pagerank
from xinwen.text import split_sentences

MIN_CHARS = 8  # shorter "sentences" (headings, bylines) are not summary material
LEAD_DECAY = 0.15


def _content(words: list[str]) -> set[str]:
    stop = stopwords()
    return {w for w in words if len(w) >= 2 and w not in stop and not w.isdigit()}


def summarize_text(title: str, body: str, n: int = 3, *, cut: Callable[[str], list[str]] | None = None) -> list[str]:
    """The n most central sentences of the body, in story order (`cut`: the segmenter's, default
    jieba's own dictionary)."""
    if cut is None:
        from xinwen.analysis.segment import cut
    if n <= 0:
        return []
    sentences: list[str] = []
    for i, s in enumerate(split_sentences(clean_lead(body))):
        s = clean_lead(s) if i == 0 else s.strip()
        if len(s) >= MIN_CHARS and not _BOILERPLATE.match(s) and s != title.strip():
            sentences.append(s)
    if len(sentences) <= n:
        return sentences
    words = [_content(cut(s)) for s in sentences]
    title_words = _content(cut(title))
    src, dst, weight = [], [], []
    for i in range(len(sentences)):
        for j in range(i + 1, len(sentences)):
            shared = len(words[i] & words[j])
            if shared and len(words[i]) > 1 and len(words[j]) > 1:
                src.append(i)
                dst.append(j)
                weight.append(shared / (math.log(len(words[i])) + math.log(len(words[j]))))
    score = pagerank(len(sentences), np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64),
                     np.array(weight, dtype=float))
    for i in range(len(sentences)):
        score[i] *= 1.0 + 1.0 / (1.0 + LEAD_DECAY * i)  # the lead matters in news
        if title_words and words[i]:
            score[i] *= 1.0 + 0.5 * len(words[i] & title_words) / len(title_words)
    best = sorted(np.argsort(-score, kind="stable")[:n])
    return [sentences[i] for i in best]
