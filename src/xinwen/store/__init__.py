"""Storage: the `Store` protocol (base.py) at the level of domain verbs, and its backends. SQLite in one
file is the embedded default (sqlite.py, with its FTS5 compiler fts5.py and migrations schema.py)."""

from xinwen.store.base import Store, StoredArticle

__all__ = ["Store", "StoredArticle"]
