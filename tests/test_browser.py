"""The built website in a real browser: headless Chromium, offline, every page of the book.

Debian's ``chromium`` (``/usr/bin/chromium``, installed by ``.ci/run`` where missing) is driven
by Playwright's Python package, whose wheel bundles its driver: no ``playwright install``, no
downloaded browser. The site in ``_build/html`` (``make book``) is served by a local
``http.server`` on 127.0.0.1 and also opened from ``file://``. Every request that leaves the
site is aborted and reported, so a page that needs the network fails here.

Per page: no console errors or uncaught exceptions, no failed or external requests, every math
element typeset by MathJax and no raw TeX (``$$``, ``\\(``, ``\\[``) or unparsed Markdown (a
MyST role, a table's ``|---|`` row) left in the visible text,
every image loaded (``naturalWidth > 0``), every internal link pointing at a file of the site
and an anchor that exists. A full-page screenshot of each page goes to ``_build/screenshots/``.
The search page must list results for "bandwidth", over HTTP and from ``file://``.

Skips, with the reason, only where no Chromium can be found (set ``CHROMIUM`` to another
binary). ``BOOK_HTML`` points the test at another built site.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import pytest

from analysis.site.pages import toc_documents

ROOT = Path(__file__).resolve().parent.parent
SITE = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html")).resolve()
SCREENSHOTS = SITE.parent / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}
RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{")
# Markdown that reached the reader unparsed: a MyST role, or a table's separator row
RAW_MARKUP = re.compile(
    r"\{(?:cite(?::\w+)?|doc|ref|numref|eq|download|glue(?::\w+)?)\}|\|\s*:?-{3,}:?\s*\|"
)

pytestmark = pytest.mark.browser


def _toc_pages() -> list[str]:
    """Every page of the book, from _toc.yml, as a path inside the site ('chapters/x.html')."""
    return [doc + ".html" for doc in toc_documents()]


PAGES = [*_toc_pages(), "genindex.html", "search.html"]


def _chromium_path() -> str | None:
    for candidate in (
        os.environ.get("CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def site() -> Path:
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built site at {SITE}: run `make book` first (make test does)")
    return SITE


@pytest.fixture(scope="session")
def browser():
    executable = _chromium_path()
    if executable is None:
        pytest.skip(
            "no Chromium here (looked for $CHROMIUM, /usr/bin/chromium, chromium on PATH); "
            "install Debian's package: apt-get install chromium (.ci/run does so as root)"
        )
    from playwright.sync_api import sync_playwright  # pinned in requirements.txt

    with sync_playwright() as pw:
        # launch() starts Chromium with a new, empty, temporary user-data-dir of its own
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass


@pytest.fixture(scope="session")
def server(site):
    """The site over HTTP on 127.0.0.1 (a free port), as ``python -m http.server`` serves it."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


class Visit:
    """A page opened in a fresh context that records errors and refuses the network."""

    def __init__(self, browser, base: str):
        self.base = base
        self.errors: list[str] = []
        self.external: list[str] = []
        self.context = browser.new_context(viewport=VIEWPORT, service_workers="block")
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on(
            "console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}")
        )
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        self.page.on(
            "requestfailed", lambda r: self.errors.append(f"failed: {r.url} ({r.failure})")
        )
        self.page.on(
            "response",
            lambda r: r.status >= 400 and self.errors.append(f"HTTP {r.status}: {r.url}"),
        )

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.base) or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def open(self, path: str):
        self.page.goto(self.base + path, wait_until="load")
        self.page.wait_for_load_state("networkidle")
        return self.page

    def close(self):
        self.context.close()


@pytest.fixture
def visit_http(browser, server):
    visits = []

    def make():
        visits.append(Visit(browser, server))
        return visits[-1]

    yield make
    for v in visits:
        v.close()


@pytest.fixture
def visit_file(browser, site):
    visits = []

    def make():
        visits.append(Visit(browser, site.as_uri() + "/"))
        return visits[-1]

    yield make
    for v in visits:
        v.close()


WAIT_FOR_MATH = """async () => {
  const math = document.querySelectorAll("span.math, div.math");
  if (!math.length) return 0;
  for (let i = 0; i < 200 && !(window.MathJax && MathJax.startup && MathJax.startup.promise); i++)
    await new Promise(r => setTimeout(r, 50));
  if (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) return -1;
  await MathJax.startup.promise;
  return math.length;
}"""

UNTYPESET_MATH = """() => [...document.querySelectorAll("span.math, div.math")]
  .filter(el => !el.querySelector("mjx-container")).map(el => el.textContent.slice(0, 80))"""

VISIBLE_TEXT = """() => {
  const skip = "PRE, CODE, SCRIPT, STYLE, TEXTAREA, MJX-CONTAINER, .highlight, .cell_input";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const parts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest(skip) || !el.getClientRects().length) continue;
    parts.push(node.textContent);
  }
  return parts.join(" ");
}"""

IMAGES_LOADED = """async () => {
  const imgs = [...document.images];
  imgs.forEach(img => { img.loading = "eager"; });
  await Promise.all(imgs.map(img => img.complete ? null :
    new Promise(r => { img.addEventListener("load", r); img.addEventListener("error", r); })));
  return imgs.map(img => ({src: img.currentSrc || img.src, width: img.naturalWidth}));
}"""

LINKS = """() => [...document.querySelectorAll("a[href]")].map(a => a.href)"""


class _Anchors(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value or "")


@functools.cache
def _anchors(path: Path) -> frozenset[str]:
    parser = _Anchors()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return frozenset(parser.ids)


def _broken_links(hrefs: list[str], base: str, site: Path) -> list[str]:
    broken = []
    for href in sorted(set(hrefs)):
        if not href.startswith(base):
            continue  # external (http://, mailto:) links are not followed: the test is offline
        url, fragment = urldefrag(href)
        rel = unquote(urlsplit(url).path if base.startswith("http") else url[len(base) :])
        rel = rel.lstrip("/") if base.startswith("http") else rel
        target = site / rel
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            broken.append(
                f"{href} (no file {target.relative_to(site) if target.is_relative_to(site) else target})"
            )
        elif fragment and target.suffix == ".html" and unquote(fragment) not in _anchors(target):
            broken.append(f"{href} (no anchor #{fragment})")
    return broken


def check_page(visit: Visit, path: str, site: Path, screenshot: str | None = None) -> None:
    page = visit.open(path)
    typeset = page.evaluate(WAIT_FOR_MATH)
    assert typeset != -1, f"{path}: math on the page but MathJax never started"
    problems = list(visit.errors)
    if typeset:
        problems += [f"math not typeset: {t!r}" for t in page.evaluate(UNTYPESET_MATH)]
    text = page.evaluate(VISIBLE_TEXT)
    raw = RAW_TEX.findall(text)
    problems += [f"raw TeX left in the visible text: {sorted(set(raw))}"] if raw else []
    markup = RAW_MARKUP.findall(text)
    problems += (
        [f"unrendered Markdown/MyST in the visible text: {sorted(set(markup))[:5]}"]
        if markup
        else []
    )
    problems += [
        f"image not loaded: {img['src']}"
        for img in page.evaluate(IMAGES_LOADED)
        if not img["width"]
    ]
    problems += [f"broken link: {b}" for b in _broken_links(page.evaluate(LINKS), visit.base, site)]
    problems += [f"request to the network: {u}" for u in visit.external]
    if screenshot:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / screenshot), full_page=True)
    assert not problems, f"{path}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("path", PAGES)
def test_page_over_http(visit_http, site, path):
    if not (site / path).is_file():
        pytest.fail(f"{path} is in the book but was not built")
    check_page(
        visit_http(), path, site, screenshot=path.replace("/", "__").replace(".html", ".png")
    )


def test_index_from_file(visit_file, site):
    visit = visit_file()
    check_page(visit, "index.html", site)
    assert visit.page.url.endswith(f"/{_toc_pages()[0]}"), (
        "index.html should redirect to the root page"
    )


def test_math_from_file(visit_file, site):
    """MathJax typesets from file://, not only over HTTP: the first page of the book with math."""
    with_math = [p for p in _toc_pages() if 'class="math' in (site / p).read_text(encoding="utf-8")]
    if not with_math:
        pytest.skip("no page of the book has math yet")
    check_page(visit_file(), with_math[0], site)


@pytest.mark.parametrize("how", ["http", "file"])
def test_search_works_offline(request, site, how):
    visit = request.getfixturevalue(f"visit_{how}")()
    page = visit.open("search.html?q=bandwidth")
    page.wait_for_selector("#search-results ul.search li a", timeout=30_000)
    hits = page.eval_on_selector_all(
        "#search-results ul.search li a", "els => els.map(e => e.href)"
    )
    page.wait_for_load_state("networkidle")
    assert hits, "searching for 'bandwidth' found nothing"
    assert not visit.errors and not visit.external, visit.errors + visit.external
    assert not _broken_links(hits, visit.base, site)


def test_download_and_citation_features(visit_http, site):
    """A chapter offers its .ipynb for download and ends with how to cite it."""
    chapters = [
        p for p in _toc_pages() if (site / "_sources" / p.replace(".html", ".ipynb")).is_file()
    ]
    if not chapters:
        pytest.skip("no notebook chapter built yet")
    page = visit_http().open(chapters[0])
    assert page.locator("a[href$='.ipynb']").count() >= 1, "no .ipynb download link"
    cite = page.locator("section.cite-this-page")
    assert cite.count() == 1 and "@incollection" in cite.inner_text()


@pytest.fixture(scope="session", autouse=True)
def _clean_screenshots():
    if SCREENSHOTS.is_dir():
        shutil.rmtree(SCREENSHOTS)
    yield
