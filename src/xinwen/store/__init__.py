"""Storage backends. SQLite in one file is the embedded default."""

from xinwen.store.sqlite import SQLiteStore, StoredArticle

__all__ = ["SQLiteStore", "StoredArticle"]
