"""The PostgreSQL schema as numbered migrations; the applied version is kept in `meta` ('schema_version').

The numbers are the SQLite schema's (store/schema.py): version N of either backend holds the same
things, so `schema_version()` means one thing whatever the backend, and a migration added to one is
added to the other under the same number (tests/test_postgres.py checks that the counts agree).

Tables: `articles` (the records; `key` from the sequence `article_keys`, which must keep CACHE 1 so
that keys grow in the order writers, serialized by the store's write lock, take them), `article_tags`
(computed tags, for tag filters and facets), `search` (one narrow row per article with what search
filters, sorts and ranks on: the tsvectors of store/postgres_text.py, two of them with a GIN index, and
source, section, publication time and title length), the copy index and clusters, `state` (fitted
state, bytea) and `meta`.
"""

from __future__ import annotations

MIGRATIONS: list[list[str]] = [
    # 1: articles, their computed tags, and the full-text search rows with GIN indexes
    [
        "CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL)",
        "CREATE SEQUENCE article_keys AS bigint CACHE 1",
        """CREATE TABLE articles (
            key bigint PRIMARY KEY,
            id text NOT NULL UNIQUE,
            url text,
            source text,
            category text,
            title text NOT NULL,
            body text NOT NULL,
            published text,
            published_ts double precision,
            tags text NOT NULL DEFAULT '[]',
            snippet text NOT NULL DEFAULT '',
            source_tags text NOT NULL DEFAULT '[]',
            source_related text NOT NULL DEFAULT '[]',
            extra text NOT NULL DEFAULT '{}',
            origin text,
            title_terms text NOT NULL DEFAULT '',
            body_terms text NOT NULL DEFAULT '',
            fingerprint bytea,
            content_hash text NOT NULL,
            ingested_at timestamptz NOT NULL
        )""",
        "CREATE INDEX articles_published ON articles (published_ts DESC NULLS LAST, key DESC)",
        "CREATE INDEX articles_ingested ON articles (ingested_at)",
        """CREATE TABLE article_tags (
            article bigint NOT NULL REFERENCES articles (key) ON DELETE CASCADE,
            rank integer NOT NULL,
            tag text NOT NULL,
            PRIMARY KEY (article, rank)
        )""",
        "CREATE INDEX article_tags_tag ON article_tags (tag, article)",
        # the vectors of store/postgres_text.py: title_tsv and tsv (tokens and pairs, no positions) are
        # matched through their GIN indexes alone; lead_tsv (small, kept in the row) and rank_tsv rank
        """CREATE TABLE search (
            article bigint PRIMARY KEY REFERENCES articles (key) ON DELETE CASCADE,
            source text,
            category text,
            published_ts double precision,
            title_len integer NOT NULL,
            title_tsv tsvector NOT NULL,
            tsv tsvector NOT NULL,
            lead_tsv tsvector NOT NULL,
            rank_tsv tsvector NOT NULL
        )""",
        "ALTER TABLE search ALTER COLUMN tsv SET STORAGE EXTERNAL, ALTER COLUMN rank_tsv SET STORAGE EXTERNAL",
        "CREATE INDEX search_tsv ON search USING gin (tsv)",
        "CREATE INDEX search_title_tsv ON search USING gin (title_tsv)",
        "CREATE INDEX search_published ON search (published_ts DESC NULLS LAST, article DESC)",
        "CREATE INDEX search_source ON search (source)",
        """CREATE TABLE state (
            name text PRIMARY KEY,
            data bytea NOT NULL,
            saved_at timestamptz NOT NULL DEFAULT clock_timestamp()
        )""",
    ],
    # 2: near-duplicates (xinwen.linking.copies): the copy index and each cluster member's canonical
    # article; an empty database is marked current, as in SQLite
    [
        "CREATE TABLE copy_index (article bigint PRIMARY KEY REFERENCES articles (key) ON DELETE CASCADE)",
        """CREATE TABLE duplicate_of (
            article bigint PRIMARY KEY REFERENCES articles (key) ON DELETE CASCADE,
            canonical bigint NOT NULL REFERENCES articles (key) ON DELETE CASCADE
        )""",
        "CREATE INDEX duplicate_of_canonical ON duplicate_of (canonical)",
        "INSERT INTO meta (key, value) SELECT 'duplicates_version', '1.2' WHERE NOT EXISTS (SELECT 1 FROM articles)",
    ],
    # 3: each article's tag candidates with the tagger's confidence (JSON), what related articles compare
    [
        "ALTER TABLE articles ADD COLUMN tag_weights text NOT NULL DEFAULT '{}'",
        "INSERT INTO meta (key, value) SELECT 'retag_needed', '1' WHERE EXISTS (SELECT 1 FROM articles)",
    ],
    # 4: the publisher's section, read into the doc values grouped by value
    [
        "CREATE INDEX search_category ON search (category)",
    ],
    # 5: the generation number every write transaction raises (the store's change token)
    [
        "INSERT INTO meta (key, value) VALUES ('generation', '1') ON CONFLICT (key) DO NOTHING",
    ],
    # 6: provenance, as in SQLite: `origin` (where the record was read) becomes `read_from`; `origin` the
    # outlet credited (kept in `search` too, where filters and facets read it), `event_date`, `provenance`
    # (JSON evidence); `article_versions` keeps every text an update replaced
    [
        "ALTER TABLE articles RENAME COLUMN origin TO read_from",
        "ALTER TABLE articles ADD COLUMN origin text",
        "ALTER TABLE articles ADD COLUMN event_date text",
        "ALTER TABLE articles ADD COLUMN provenance text NOT NULL DEFAULT '{}'",
        "ALTER TABLE search ADD COLUMN origin text",
        "CREATE INDEX search_origin ON search (origin)",
        """CREATE TABLE article_versions (
            article bigint NOT NULL REFERENCES articles (key) ON DELETE CASCADE,
            version integer NOT NULL,
            title text NOT NULL,
            body text NOT NULL,
            url text,
            source text,
            category text,
            published text,
            source_tags text NOT NULL DEFAULT '[]',
            extra text NOT NULL DEFAULT '{}',
            content_hash text NOT NULL,
            stored_at text NOT NULL,
            replaced_at text NOT NULL,
            PRIMARY KEY (article, version)
        )""",
        "INSERT INTO meta (key, value) SELECT 'provenance_needed', '1' WHERE EXISTS (SELECT 1 FROM articles)",
    ],
    # 7: SQLite's index of the articles by when they were written, which PostgreSQL has had since 1
    [
        "CREATE INDEX IF NOT EXISTS articles_ingested ON articles (ingested_at)",
    ],
    # 8: a tag's articles newest first from an index, as in SQLite: each tag row carries its article's
    # publication time
    [
        "ALTER TABLE article_tags ADD COLUMN published_ts double precision",
        "UPDATE article_tags t SET published_ts = a.published_ts FROM articles a WHERE a.key = t.article",
        "CREATE INDEX article_tags_time ON article_tags (tag, published_ts DESC NULLS LAST, article DESC)",
    ],
]

SCHEMA_VERSION = len(MIGRATIONS)
