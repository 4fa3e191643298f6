"""2 ANALYZE: segment an article once, then derive tags, snippet, fingerprint and index terms from the
same words (pipeline.py); corpus statistics and new words (stats.py, newwords.py, lexicon.py); the tag
scorer and the editor-tag model (tags/)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Analysis", "Analyzer"]

if TYPE_CHECKING:
    from xinwen.analysis.pipeline import Analysis, Analyzer


def __getattr__(name: str) -> Any:
    if name in __all__:
        from xinwen.analysis import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'xinwen.analysis' has no attribute {name!r}")
