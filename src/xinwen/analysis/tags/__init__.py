"""Tags an editor would pick: the scorer (scorer.py) over candidates of a segmented article, the
editor-tag model learned from a tagged archive (model.py), the headline ranker (ranker.py) and the
neighbour vote over archive titles (neighbours.py)."""

from xinwen.analysis.tags.scorer import TagScorer, choose, is_candidate, is_taggable, overlaps, pick_tags

__all__ = ["TagScorer", "choose", "is_candidate", "is_taggable", "overlaps", "pick_tags"]
