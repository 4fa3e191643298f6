"""The web UI in a real headless Chromium (Debian's `chromium`, driven by Playwright; never
`playwright install`), against `xinwen serve` running on a free loopback port.

Screenshots of the article page at 1280 and 390 px wide land in test-artifacts/ (git-ignored);
docs/article-1280.png and docs/article-390.png are copies of them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium (.ci/run installs it)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(web_db) -> Iterator[str]:
    """`xinwen serve` (uvicorn) on the web tests' database, in its own process."""
    port = free_port()
    log = ARTIFACTS / "serve.log"
    ARTIFACTS.mkdir(exist_ok=True)
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; from xinwen.cli import main; sys.exit(main())",
             "serve", "--db", str(web_db.path), "--host", "127.0.0.1", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "XINWEN_NO_PROGRESS": "1"},
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"xinwen serve exited with {proc.returncode}: {log.read_text()[-2000:]}")
            try:
                if httpx.get(base + "/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"xinwen serve did not answer within 60 s: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def tab(browser):
    """A fresh page that records console errors, uncaught errors and dialogs (none are expected)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.problems = []  # type: ignore[attr-defined]
    page.on("console", lambda msg: msg.type == "error" and page.problems.append(f"console: {msg.text} "
                                                                                  f"{msg.location.get('url')}"))
    page.on("pageerror", lambda exc: page.problems.append(f"page error: {exc}"))
    page.on("dialog", lambda dialog: (page.problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    yield page
    context.close()


def test_home_search_article_tag_related(tab, server):
    """The reader's walk: home page, search 低碳, open a result, follow a tag, see related articles."""
    tab.goto(server + "/")
    assert tab.locator("h1#latest").inner_text() == "最新新闻"
    assert tab.locator("section.main-col li.item").count() > 0
    assert tab.locator("aside a.tag").count() > 0

    tab.locator("section.lead input[name=q]").fill("低碳")
    tab.locator("section.lead input[name=q]").press("Enter")
    tab.wait_for_url("**/search?q=*")
    hits = tab.locator("ol.hits > li")
    assert hits.count() > 0
    assert tab.locator("ol.hits mark").first.inner_text() == "低碳"
    assert tab.locator("ol.hits mark").first.is_visible()

    first = hits.first.locator("h2 a")
    title = first.inner_text()
    first.click()
    tab.wait_for_url("**/articles/**")
    assert tab.locator("article h1").inner_text() == title
    assert "发布时间" in tab.locator("p.byline").inner_text()

    tag_link = tab.locator("ul.story-tags a.tag").first
    tag = tag_link.inner_text()
    tag_link.click()
    tab.wait_for_url("**/tags/**")
    assert tag in tab.locator("h1").inner_text()
    tagged = tab.locator("section.main-col li.item")
    assert tagged.count() > 0

    tagged.first.locator("h2 a").click()
    tab.wait_for_url("**/articles/**")
    assert tag in tab.locator("ul.story-tags").inner_text()
    related = tab.locator("section.related li.item")
    assert tab.locator("section.related h2").inner_text() == "相关阅读"
    assert related.count() > 0, "no related articles on " + tab.url
    assert "相关原因" in related.first.locator("p.why").inner_text()
    next_title = related.first.locator("h3 a").inner_text()
    related.first.locator("h3 a").click()
    tab.wait_for_url("**/articles/**")
    assert tab.locator("article h1").inner_text() == next_title
    assert tab.problems == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("width, height", [(1280, 900), (390, 844)])
def test_article_page_reads_well_and_is_screenshotted(browser, server, web_db, width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                  device_scale_factor=1 if width > 600 else 2)
    page = context.new_page()
    page.goto(f"{server}/articles/{web_db.sample_id}")
    # nothing sticks out sideways; the text column is a readable measure with generous leading
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    p = page.locator("div.body p").first
    size = float(p.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    leading = float(p.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
    box = p.bounding_box()
    assert box is not None and 1.7 <= leading / size <= 2.0 and 15 <= size <= 20
    assert box["width"] <= 43 * size and box["width"] >= min(width - 40, 30 * size)
    assert page.locator("section.related li.item").count() > 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"article-{width}.png"))
    page.screenshot(path=str(ARTIFACTS / f"article-{width}-full.png"), full_page=True)
    context.close()


def test_hostile_article_is_inert_and_fast(tab, server, web_db):
    started = time.monotonic()
    tab.goto(f"{server}/articles/{web_db.hostile_id}", timeout=20_000, wait_until="load")
    seconds = time.monotonic() - started
    (ARTIFACTS / "hostile-load-seconds.txt").write_text(f"{seconds:.2f}\n")
    assert tab.evaluate("typeof window.__xinwen_pwned") == "undefined"
    assert tab.evaluate("document.scripts.length") == 0
    assert tab.locator("article h1").inner_text().startswith('<script>window.__xinwen_pwned = "title"</script>')
    assert "<img src=x onerror=" in tab.locator("div.body").inner_text()
    tab.locator("span.source").hover()
    tab.locator("div.body p", has_text="点我").click()
    assert tab.evaluate("typeof window.__xinwen_pwned") == "undefined"
    assert tab.evaluate("document.documentElement.scrollWidth") <= 1280, "the long unbroken line did not wrap"
    assert tab.locator("a.brand").inner_text() == "新闻xinwen"  # right-to-left text did not leak out
    tab.screenshot(path=str(ARTIFACTS / "hostile-1280.png"))
    assert tab.problems == []  # type: ignore[attr-defined]
