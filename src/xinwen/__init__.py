"""xinwen: turn raw Chinese news into a tagged, summarized, linked and searchable news collection.

The public names are imported on first use, so that `import xinwen` (and `xinwen --help`) stay fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"
__all__ = ["Article", "Collection", "Problem", "RelatedRef", "XinwenError", "__version__"]

_LAZY = {
    "Article": "xinwen.article",
    "Problem": "xinwen.article",
    "RelatedRef": "xinwen.article",
    "Collection": "xinwen.collection",
    "XinwenError": "xinwen.errors",
}

if TYPE_CHECKING:
    from xinwen.article import Article, Problem, RelatedRef
    from xinwen.collection import Collection
    from xinwen.errors import XinwenError


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'xinwen' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
