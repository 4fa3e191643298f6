"""The watch loop: poll each source when it is due, queue the article links that are new, then fetch,
extract, analyze and ingest them one at a time.

Order of work, and why nothing is lost or doubled by a crash at any point:
1. A poll fetches the source (conditionally: an unchanged feed is a 304), finds its links (discover.py),
   drops those already read (the state's seen addresses, and those the store already holds under the id
   their URL gives: xinwen.article.make_id), and appends the rest to the source's queue; the queue and the
   source's new ETag / Last-Modified are saved together, in one atomic write of the state. A crash before
   that write leaves the old validators, so the next poll reads the source whole again.
2. Each queued link is fetched (the polite fetcher), its page extracted (readers/html.py through
   readers.read_bytes: the page's <link rel=canonical> decides its URL) and ingested
   (`Collection.ingest_items`, which analyzes it, skips it when stored unchanged and checks it for copies of
   stored stories); then it leaves the queue, its addresses become seen and the state is saved. A crash
   between the ingest and that save leaves the link queued: the next run finds its article stored (by the
   URL's id, or, where the canonical URL differs, by ingest's content hash) and does not store it twice.
3. A link that fails for now (no answer, 5xx, 429) stays queued, up to MAX_TRIES; one that cannot succeed
   (404, 410, robots.txt, not a page) is given up and counted. A source whose poll fails has its failure
   counted and is polled again later (the interval doubled per failure, bounded); the others go on.

Stopping (an Event, which the CLI sets on Ctrl-C and SIGTERM) is checked between articles and cuts the
waits between polls short, so a stop comes after the current article.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xinwen.article import Article, Problem, make_id
from xinwen.errors import ReadError, StoreError, XinwenError
from xinwen.follow.discover import Found, Link, discover
from xinwen.follow.fetcher import Fetcher, text
from xinwen.follow.sources import (
    MAX_QUEUE,
    MAX_TRIES,
    Source,
    SourceState,
    WatchState,
    now_iso,
    read_state,
    write_state,
)
from xinwen.readers.fetch import FetchProblem

if TYPE_CHECKING:
    from xinwen.collection import Collection

MAX_SITEMAPS = 20  # sitemaps read per poll of a sitemap index or robots.txt (the newest first)
MAX_BACKOFF = 6 * 3600.0  # the longest a failing source waits between polls (unless its interval is longer)
IDLE_CHECK = 60.0
RETRY_WAIT = 60.0  # how long a queue waits after a link failed for now  # the longest one wait between polls lasts (then the loop looks again)


@dataclass
class Event:
    """Something the watcher did, for the CLI to print: a poll, an article stored, a problem."""

    kind: str  # poll | article | problem
    source: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.kind, "source": self.source, **self.data}


class PollFailed(XinwenError):
    """A source could not be polled (no answer, not a feed, sitemap or page)."""


class Watcher:
    """Follows sources into a collection (see the module's docstring)."""

    def __init__(self, collection: Collection, sources: list[Source], *, fetcher: Fetcher,
                 on_event: Callable[[Event], None] | None = None, stop: threading.Event | None = None) -> None:
        self.collection = collection
        self.store = collection.store
        self.sources = sources
        self.fetcher = fetcher
        self.stop = stop or fetcher.stop
        fetcher.stop = self.stop
        self.on_event = on_event or (lambda e: None)
        self.state: WatchState = read_state(self.store)
        fetcher.validators = self.state.validators  # saved with the state
        for s in sources:
            self.state.source(s)
        self.due: dict[str, float] = {s.key: self._first_due(s) for s in sources}
        self.turns: dict[str, float] = {s.key: 0.0 for s in sources}
        self.drain_after: dict[str, float] = {}  # a queue whose last link failed for now waits until then
        self.polls = 0
        self.failed_polls = 0
        self.added = 0

    # -- the loop ---------------------------------------------------------------------------------------
    def run(self, *, once: bool = False) -> None:
        """Poll and read until stopped (`once`: poll each source once, read what it queued, up to its
        max_per_poll, and return). A StoreError (the database is in trouble, which is no source's fault)
        ends the run; anything else that goes wrong stays with its source or its article."""
        if not self.sources:
            return
        # one watcher a collection: two would both save the sources' state, each over the other's
        with self.collection.store.exclusive("watch", wait=False) as held:
            if not held:
                raise XinwenError(f"{self.collection.location}: another xinwen watch is following sources into "
                                  "this collection; stop it first (one watcher a collection: it keeps the "
                                  "sources' state), or give it these sources too")
            self._run(once=once)

    def _run(self, *, once: bool) -> None:
        if once:
            for s in self.sources:
                if self.stop.is_set():
                    return
                self.turn(s, poll=True)
            return
        while not self.stop.is_set():
            now = time.monotonic()
            ready = [s for s in self.sources if self._next(s) <= now]
            if not ready:
                self.stop.wait(min(IDLE_CHECK, max(0.0, min(self._next(s) for s in self.sources) - now)))
                continue
            s = min(ready, key=lambda x: (self.turns[x.key], self.due[x.key]))  # each in turn
            self.turn(s, poll=self.due[s.key] <= now)

    def _next(self, s: Source) -> float:
        """When a source next wants a turn: its poll, or sooner when links wait in its queue."""
        if self.state.sources[s.key].queue:
            return min(self.due[s.key], self.drain_after.get(s.key, 0.0))
        return self.due[s.key]

    def turn(self, source: Source, *, poll: bool) -> None:
        """One source's turn: its poll (when due), then up to max_per_poll of its queue."""
        st = self.state.sources[source.key]
        try:
            if poll:
                self._poll(source, st)
            if not source.is_folder:
                self._drain(source, st)
        finally:
            self.turns[source.key] = time.monotonic()

    def _first_due(self, s: Source) -> float:
        """When a source is next due, from its last poll as saved (a restart keeps the schedule)."""
        st = self.state.sources[s.key]
        if not st.last_poll:
            return time.monotonic()
        try:
            last = datetime.fromisoformat(st.last_poll)
        except ValueError:
            return time.monotonic()
        wait = (last + timedelta(seconds=self._interval(s, st)) - datetime.now(UTC)).total_seconds()
        return time.monotonic() + max(0.0, wait)

    @staticmethod
    def _interval(s: Source, st: SourceState) -> float:
        if not st.failures:
            return s.every
        return min(s.every * 2 ** min(st.failures - 1, 10), max(s.every, MAX_BACKOFF))

    def _save(self) -> None:
        write_state(self.store, self.state)

    def _emit(self, event: str, source: Source, /, **data: Any) -> None:
        self.on_event(Event(event, source.label, data))

    # -- polls ------------------------------------------------------------------------------------------
    def _poll(self, source: Source, st: SourceState) -> None:
        """Fetch the source, queue what is new, record its health and save. The validators of what was
        fetched are kept only when all its links were queued: after a failure, or when the queue had no
        room for every new link, the next poll reads the source whole again rather than getting a 304."""
        self.polls += 1
        st.last_poll = now_iso()
        st.first_poll = st.first_poll or st.last_poll
        before = dict(self.state.validators)
        try:
            if source.is_folder:
                st.kind = "folder"
                result = self._poll_folder(source, st)
            else:
                result = self._poll_url(source, st)
        except StoreError:
            raise
        except Exception as e:  # whatever goes wrong with one source stays with it
            self._restore(before)
            message = e.message if isinstance(e, XinwenError) else f"{type(e).__name__}: {e}"
            st.failures += 1
            st.last_error = message
            self.failed_polls += 1
            self.due[source.key] = time.monotonic() + self._interval(source, st)
            self._save()
            self._emit("poll", source, status="failed", error=message, failures=st.failures)
            return
        if result.get("left_out"):
            self._restore(before)
        st.failures, st.last_error, st.last_success = 0, None, now_iso()
        self.due[source.key] = time.monotonic() + source.every
        self._save()
        self._emit("poll", source, status="ok", **result)

    def _restore(self, validators: dict[str, dict[str, str]]) -> None:
        """Put back the validators as they were (the fetcher shares the dict)."""
        self.state.validators.clear()
        self.state.validators.update(validators)

    def _poll_url(self, source: Source, st: SourceState) -> dict[str, Any]:
        got = self.fetcher.get(source.key, expect="any")
        if isinstance(got, FetchProblem):
            raise PollFailed(got.message)
        if got.not_modified:
            return {"kind": st.kind, "not_modified": True, "links": 0, "queued": 0}
        try:
            found = discover(text(got, name=source.key, bounds=self.fetcher.bounds), got.url, got.content_type)
        except ReadError as e:
            self.fetcher.forget(got.url)
            raise PollFailed(e.message) from e
        if found.kind == "unknown":
            self.fetcher.forget(got.url)
            raise PollFailed(f"neither a feed, a sitemap nor an HTML page ({got.content_type or 'no content type'})")
        st.kind = found.kind
        links = list(found.links)
        if found.sitemaps:
            links += self._read_sitemaps(source, found.sitemaps)
        if found.kind == "page" and not links and found.feeds:
            links += self._read_feed(source, found.feeds[0])
        queued, left_out = self._enqueue(source, st, links)
        return {"kind": found.kind, "links": len(links), "queued": queued, **({"left_out": left_out} if left_out else {})}

    def _read_sitemaps(self, source: Source, first: list[str]) -> list[Link]:
        """The links of the sitemaps an index or a robots.txt names (and of the sitemaps those name), at most
        MAX_SITEMAPS of them, each conditionally (an unchanged one costs a 304)."""
        links: list[Link] = []
        todo, done = list(first), set()
        while todo and len(done) < MAX_SITEMAPS and not self.stop.is_set():
            url = todo.pop(0)
            if url in done:
                continue
            done.add(url)
            got = self.fetcher.get(url, expect="sitemap")
            if isinstance(got, FetchProblem):
                self._emit("problem", source, url=url, message=got.message)
                continue
            if got.not_modified:
                continue
            try:
                found: Found = discover(text(got, name=url, bounds=self.fetcher.bounds), got.url, got.content_type)
            except ReadError as e:
                self.fetcher.forget(got.url)
                self._emit("problem", source, url=url, message=e.message)
                continue
            links += found.links
            todo += [u for u in found.sitemaps if u not in done]
        return links

    def _read_feed(self, source: Source, url: str) -> list[Link]:
        """The links of the feed a page advertises (read when the page itself shows no article links)."""
        got = self.fetcher.get(url, expect="feed")
        if isinstance(got, FetchProblem) or got.not_modified:
            return []
        try:
            return discover(text(got, name=url, bounds=self.fetcher.bounds), got.url, got.content_type).links
        except ReadError:
            self.fetcher.forget(got.url)
            return []

    def _enqueue(self, source: Source, st: SourceState, links: list[Link]) -> tuple[int, int]:
        """Queue the links not read before, not queued and not too old, as far as the queue has room (MAX_QUEUE);
        returns how many were queued and how many were left out for want of room."""
        queued = {e["url"] for e in st.queue}
        oldest = datetime.now(UTC) - timedelta(days=source.max_age_days) if source.max_age_days else None
        fresh: dict[str, Link] = {}
        for link in links:
            if link.url in self.state.seen or link.url in queued or link.url in fresh:
                continue
            if oldest and link.published and _aware(link.published) < oldest:
                continue
            fresh[link.url] = link
        stored = self._stored(list(fresh))
        self.state.mark_seen(*stored)
        new = [x for u, x in fresh.items() if u not in stored]
        room = max(0, MAX_QUEUE - len(st.queue))
        st.queue += [{"url": x.url, "title": x.title, "published": x.published.isoformat() if x.published else None,
                      "tries": 0} for x in new[:room]]
        return min(room, len(new)), max(0, len(new) - room)

    def _stored(self, urls: list[str]) -> set[str]:
        """Those of `urls` whose article the store holds (under the id its URL gives)."""
        ids = {make_id("", None, u): u for u in urls}
        known: set[str] = set()
        keys = list(ids)
        for i in range(0, len(keys), 500):
            known.update(self.store.known_hashes(keys[i : i + 500]))
        return {ids[i] for i in known}

    # -- articles ---------------------------------------------------------------------------------------
    def _drain(self, source: Source, st: SourceState) -> None:
        """Read up to max_per_poll queued links, saving the state after each. A link that fails for now goes
        to the end of the queue, and the queue waits (RETRY_WAIT, at most the source's interval): its site
        may be down for a while."""
        taken = 0
        while st.queue and taken < source.max_per_poll and not self.stop.is_set():
            entry = st.queue[0]
            try:
                outcome = self._take(source, st, entry)
            except StoreError:
                raise
            except Exception as e:  # one page's trouble (a parser's own exception) stays with that page
                outcome = self._give_up(source, st, entry["url"], f"cannot read: {type(e).__name__}: {e}")
            taken += 1
            st.queue.pop(0)
            if outcome == "retry" and self.stop.is_set():
                st.queue.insert(0, entry)  # stopped mid-fetch: this link is next when we start again
            elif outcome == "retry":
                entry["tries"] = int(entry.get("tries", 0)) + 1
                if entry["tries"] < MAX_TRIES:
                    st.queue.append(entry)
                else:
                    st.given_up += 1
                    st.last_problem = f"{entry['url']}: given up after {MAX_TRIES} tries"
                    self.state.mark_seen(entry["url"])
                self._save()
                self.drain_after[source.key] = time.monotonic() + min(RETRY_WAIT, source.every)
                return
            self._save()
        self.drain_after[source.key] = time.monotonic()

    def _take(self, source: Source, st: SourceState, entry: dict[str, Any]) -> str:
        """Fetch, extract and ingest one queued link: "done" (stored, known, or given up) or "retry"."""
        url = entry["url"]
        if url in self.state.seen:
            return "done"
        if self._stored([url]):
            self.state.mark_seen(url)
            return "done"
        got = self.fetcher.get(url, expect="html", conditional=False)
        if isinstance(got, FetchProblem):
            if self.stop.is_set() and not got.permanent:
                return "retry"
            self._emit("problem", source, url=url, message=got.message,
                       retry=not got.permanent and int(entry.get("tries", 0)) + 1 < MAX_TRIES)
            if not got.permanent:
                return "retry"
            return self._give_up(source, st, url, got.message, mark=False)
        try:
            page = text(got, name=url, bounds=self.fetcher.bounds)
        except ReadError as e:
            return self._give_up(source, st, url, e.message)
        from xinwen.readers import read_bytes

        items = list(read_bytes(page.encode("utf-8"), got.url, fmt="html", url=got.url))
        articles = [x for x in items if isinstance(x, Article)]
        if not articles:
            why = next((x.message for x in items if isinstance(x, Problem)), "no article in the page")
            return self._give_up(source, st, url, why)
        hint = _hint_time(entry.get("published"))
        for a in articles:
            if a.published is None and hint is not None:
                a.published = hint  # the feed's or news sitemap's time, where the page prints none
        report = self.collection.ingest_items(items, workers=1, progress=False)
        for p in report.problems:
            self._emit("problem", source, url=url, message=p.message, field=p.field)
        for _ in range(report.added):
            st.count_article()
        self.added += report.added
        self.state.mark_seen(url, got.url, *(a.url for a in articles))
        for a in articles:
            status = "added" if report.added else "updated" if report.updated else "known"
            self._emit("article", source, id=a.id, title=a.title, url=a.url or got.url, status=status,
                       copies=len(self._copies(a.id)) if status != "known" else 0)
        return "done"

    def _copies(self, article_id: str) -> list[Article]:
        try:
            return self.collection.copies(article_id)
        except XinwenError:
            return []

    def _give_up(self, source: Source, st: SourceState, url: str, why: str, *, mark: bool = True) -> str:
        st.given_up += 1
        st.last_problem = f"{url}: {why}"
        self.state.mark_seen(url)
        if mark:
            self._emit("problem", source, url=url, message=why, retry=False)
        return "done"

    # -- folders ----------------------------------------------------------------------------------------
    def _poll_folder(self, source: Source, st: SourceState) -> dict[str, Any]:
        """Read the folder's new and changed files (up to max_per_poll of them; the rest next time)."""
        from xinwen.readers import read_one

        folder = Path(source.key)
        if not folder.is_dir():
            raise PollFailed(f"{source.key} is not a folder (any more)")
        present: dict[str, str] = {}
        changed: list[str] = []
        for path, signature in _files(folder):
            present[path] = signature
            if st.files.get(path) != signature:
                changed.append(path)
        st.files = {p: s for p, s in st.files.items() if p in present}  # files deleted since are forgotten
        read = 0
        for path in changed[: source.max_per_poll]:
            if self.stop.is_set():
                break
            report = self.collection.ingest_items(read_one(path), workers=1, progress=False)
            for p in report.problems:
                self._emit("problem", source, url=p.file, message=p.message, line=p.line, field=p.field)
            for _ in range(report.added):
                st.count_article()
            self.added += report.added
            if report.added or report.updated:
                self._emit("article", source, file=path, added=report.added, updated=report.updated)
            st.files[path] = present[path]
            read += 1
            self._save()
        return {"kind": "folder", "files": len(present), "read": read, "waiting": len(changed) - read}


def _files(folder: Path) -> Iterator[tuple[str, str]]:
    """(path, "mtime_ns:size") of the regular files under a folder, sorted; hidden ones and those a folder
    ingest skips (xinwen.readers.SKIPPED_IN_FOLDERS) left out; symbolic link loops not followed."""
    from xinwen.readers import SKIPPED_IN_FOLDERS

    for root, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.startswith(".") or Path(name).suffix.lower() in SKIPPED_IN_FOLDERS:
                continue
            path = os.path.join(root, name)
            try:
                info = os.stat(path)
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                yield path, f"{info.st_mtime_ns}:{info.st_size}"


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _hint_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
