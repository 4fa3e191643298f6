"""Analysis: segment an article once, then derive tags, snippet, fingerprint and index terms."""

from xinwen.analysis.pipeline import Analysis, Analyzer

__all__ = ["Analysis", "Analyzer"]
