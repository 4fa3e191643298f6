"""4 FIND: the query language (query.py, parsed into plain data that a store compiles), the search
policy (engine.py: all words, else any; title hits first, then BM25; pages), highlighting (highlight.py),
facets and the other per-article values held in memory (facets.py), and tag trends over time (trends.py)."""
