"""Evaluation on real data: tags (tags.py), related articles and duplicates (added alongside).
Data loading shared by all of them lives in datasets.py."""
