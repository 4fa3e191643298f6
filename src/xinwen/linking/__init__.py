"""3 LINK: copies of one story (copies.py finds them at ingest, copycheck.py decides on the text),
article vectors (vectors.py), and related articles (related/)."""
