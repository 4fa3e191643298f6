"""xinwen: turn raw Chinese news into a tagged, summarized, linked and searchable news collection."""

from xinwen.article import Article, Problem, RelatedRef
from xinwen.collection import Collection
from xinwen.errors import XinwenError

__all__ = ["Article", "Collection", "Problem", "RelatedRef", "XinwenError"]
__version__ = "0.1.0"
