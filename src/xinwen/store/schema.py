"""The SQLite schema as numbered migrations; the applied version is kept in `meta`."""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: articles, their computed tags, and an external-content FTS5 index over segmented words
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE articles (
        rowid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        url TEXT,
        source TEXT,
        category TEXT,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        published TEXT,
        published_ts REAL,
        tags TEXT NOT NULL DEFAULT '[]',
        snippet TEXT NOT NULL DEFAULT '',
        source_tags TEXT NOT NULL DEFAULT '[]',
        source_related TEXT NOT NULL DEFAULT '[]',
        extra TEXT NOT NULL DEFAULT '{}',
        origin TEXT,
        title_terms TEXT NOT NULL DEFAULT '',
        body_terms TEXT NOT NULL DEFAULT '',
        fingerprint BLOB,
        content_hash TEXT NOT NULL,
        ingested_at TEXT NOT NULL
    );
    CREATE INDEX articles_published ON articles (published_ts);
    CREATE INDEX articles_source ON articles (source);
    CREATE TABLE article_tags (
        article INTEGER NOT NULL REFERENCES articles (rowid) ON DELETE CASCADE,
        rank INTEGER NOT NULL,
        tag TEXT NOT NULL,
        PRIMARY KEY (article, rank)
    );
    CREATE INDEX article_tags_tag ON article_tags (tag, article);
    CREATE VIRTUAL TABLE articles_fts USING fts5 (
        title_terms, body_terms,
        content='articles', content_rowid='rowid',
        tokenize='unicode61 remove_diacritics 0'
    );
    CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts (rowid, title_terms, body_terms)
        VALUES (new.rowid, new.title_terms, new.body_terms);
    END;
    CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts (articles_fts, rowid, title_terms, body_terms)
        VALUES ('delete', old.rowid, old.title_terms, old.body_terms);
    END;
    CREATE TRIGGER articles_au AFTER UPDATE OF title_terms, body_terms ON articles BEGIN
        INSERT INTO articles_fts (articles_fts, rowid, title_terms, body_terms)
        VALUES ('delete', old.rowid, old.title_terms, old.body_terms);
        INSERT INTO articles_fts (rowid, title_terms, body_terms)
        VALUES (new.rowid, new.title_terms, new.body_terms);
    END;
    """,
    # 2: near-duplicates (xinwen.linking.copies): which articles take part in copy detection (their
    # MinHash signature is the fingerprint column), and each cluster member's canonical article.
    # An empty database is marked current ("INDEX_VERSION.FINGERPRINT_VERSION" of xinwen.linking.copies);
    # one with articles is reclustered, with new fingerprints, the first time copies are looked for.
    """
    CREATE TABLE copy_index (
        article INTEGER PRIMARY KEY REFERENCES articles (rowid) ON DELETE CASCADE
    );
    CREATE TABLE duplicate_of (
        article INTEGER PRIMARY KEY REFERENCES articles (rowid) ON DELETE CASCADE,
        canonical INTEGER NOT NULL REFERENCES articles (rowid) ON DELETE CASCADE
    );
    CREATE INDEX duplicate_of_canonical ON duplicate_of (canonical);
    INSERT INTO meta (key, value) SELECT 'duplicates_version', '1.2' WHERE NOT EXISTS (SELECT 1 FROM articles);
    """,
    # 3: each article's best tag candidates with the tagger's confidence (JSON {tag: weight}), what
    # related articles compare (xinwen.analysis.pipeline.tag_weights); '{}' until `xinwen fit` retags
    # the articles stored before, which are marked for it (retag_needed, cleared by the retag).
    """
    ALTER TABLE articles ADD COLUMN tag_weights TEXT NOT NULL DEFAULT '{}';
    INSERT INTO meta (key, value) SELECT 'retag_needed', '1' WHERE EXISTS (SELECT 1 FROM articles);
    """,
    # 4: the publisher's section (category) of each article, read into the doc values from this index
    # (xinwen.search.facets) for the section signal of related articles
    """
    CREATE INDEX IF NOT EXISTS articles_category ON articles (category);
    """,
    # 5: a generation number every write transaction raises (the store's change token, xinwen.store.base),
    # and the fitted state's bookkeeping (which generation a fit saw: xinwen.collection)
    """
    INSERT OR IGNORE INTO meta (key, value) VALUES ('generation', '1');
    """,
    # 6: provenance (xinwen.analysis.provenance). The column `origin` held where the record was read
    # ("file:line"): it is `read_from` now, and `origin` the outlet the story is credited to, faceted and
    # filtered on (origin:新华社). `event_date` the date of the event it tells of, `provenance` the
    # evidence for both (JSON). Articles stored before are attributed by the next writer to open the
    # store (meta provenance_needed). `article_versions` keeps every text an update replaced: version 1
    # is the first text stored, the article's row holds the newest.
    """
    ALTER TABLE articles RENAME COLUMN origin TO read_from;
    ALTER TABLE articles ADD COLUMN origin TEXT;
    ALTER TABLE articles ADD COLUMN event_date TEXT;
    ALTER TABLE articles ADD COLUMN provenance TEXT NOT NULL DEFAULT '{}';
    CREATE INDEX articles_origin ON articles (origin);
    CREATE TABLE article_versions (
        article INTEGER NOT NULL REFERENCES articles (rowid) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        url TEXT,
        source TEXT,
        category TEXT,
        published TEXT,
        source_tags TEXT NOT NULL DEFAULT '[]',
        extra TEXT NOT NULL DEFAULT '{}',
        content_hash TEXT NOT NULL,
        stored_at TEXT NOT NULL,
        replaced_at TEXT NOT NULL,
        PRIMARY KEY (article, version)
    );
    INSERT INTO meta (key, value) SELECT 'provenance_needed', '1' WHERE EXISTS (SELECT 1 FROM articles);
    """,
    # 7: the articles written since a moment (keys_written_since: what each server worker's related
    # vectors take up after a commit) by an index, not a scan of every article (0.2 s at 100,000)
    """
    CREATE INDEX IF NOT EXISTS articles_ingested ON articles (ingested_at);
    """,
    # 8: a tag's articles newest first (list --tag, /tag pages) from an index, not a read of every article
    # with the tag and a sort (a quarter of a second for a common tag at 1,000,000 articles): each tag
    # row carries its article's publication time
    """
    ALTER TABLE article_tags ADD COLUMN published_ts REAL;
    UPDATE article_tags SET published_ts = (SELECT published_ts FROM articles WHERE rowid = article_tags.article);
    CREATE INDEX article_tags_time ON article_tags (tag, published_ts, article);
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
