"""Follow the news: watch feeds, sitemaps, section pages and folders, and ingest new articles as they appear.

- `urls.py`: one spelling per article address (tracking parameters dropped) and the general rules that tell
  an article's address from a list, tag, video, image, login or ad address.
- `discover.py`: article links out of an RSS/Atom/JSON feed, a sitemap (index, news sitemap, text list), a
  robots.txt (its Sitemap: lines) or a site's home or section page.
- `fetcher.py`: the polite fetcher (per-host pacing and concurrency, robots.txt, conditional requests,
  bounded retries honouring Retry-After, content types, charsets) over readers/fetch.py, the one place
  xinwen reads the network.
- `sources.py`: what to watch (URLs, folders, a SOURCES.toml) and the watch state kept in the store.
- `watch.py`: the loop: poll each source when due, queue what is new, fetch, extract, analyze and ingest one
  article at a time, saving the state after each, so that a restart resumes and a crash loses nothing.
"""
