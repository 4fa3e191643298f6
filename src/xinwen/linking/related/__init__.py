"""Related articles: what a reader would open next, each with the reason.

Six signals, each in [0, 1] (dense may dip below 0), summed with configurable weights
(RelatedWeights; `xinwen related --weights`, or $XINWEN_RELATED_WEIGHTS):

- lexical (0.45): more-like-this, the cosine of the two articles' top TF-IDF terms
  (linking/vectors.py; IDF fitted on the stored corpus, title words counted twice).
- dense (0.45): cosine of the LSA vectors fitted on the stored corpus. An LSA vector made
  from a few words is noise, so this weight grows from 0 at dense_from distinct terms (of the
  shorter of the two articles) to full at dense_terms: a headline alone leans on its words.
- tags (0.30): Jaccard overlap of the computed tags.
- topics (2.0): cosine of the two articles' tag candidates weighted by the tagger's confidence
  (`Analysis.tag_weights`: the best 15, tags a headline implies but does not say too).
  Three chosen tags of two headlines seldom meet, their candidates often do; a long article's words
  say more, so this weight falls from full at dense_from distinct terms to 0 at dense_terms (the
  dense signal's ramp, reversed).
- recency (0.05): closeness in time, exp(-days apart / recency_days); 0 when a date is missing
  (and for free text, which has none).
- section (0.05): 1 when both articles are in the same section of the publisher (the `category` a
  record brings, as in a CMS export). An article without one (free text too) takes the section whose
  centroid is nearest to it (TF-IDF and LSA cosines added), once at least two sections have section_min
  articles each (a nearest-centroid classifier learned from the collection's own sections); 0 when
  there are none.

Feedback (1.0): the dense signal is computed a second time for a query moved towards the mean
LSA vector of the first ranking's top feedback_k (Rocchio's pseudo-relevance feedback), which
keeps a story's neighbours on its topic.

Candidates are the best `candidates` by the lexical, the dense and (for short texts) the topics
signal, all scored on the five. The article's own copies are left out, and each cluster of copies appears once,
as its canonical printing (linking/copies.py).

The weights were chosen on sina800 and tnews dev titles (cnews1000 held out) and are reported on sina800,
cnews1000 and tnews by `xinwen eval related`.

The package, by job: weights.py (the mix), model.py (the fitted vectors, kept in step with the store),
sections.py (each article's section, its own or the nearest centroid's), ranking.py (candidates, signals,
the ranked list), reasons.py (why each is related).
"""

from xinwen.linking.related.model import RelatedModel
from xinwen.linking.related.ranking import RelatedFinder, RelatedHit
from xinwen.linking.related.weights import WEIGHTS_ENV, RelatedWeights

__all__ = ["WEIGHTS_ENV", "RelatedFinder", "RelatedHit", "RelatedModel", "RelatedWeights"]
