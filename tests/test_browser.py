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

Every dollar amount reads as money: no typeset formula's TeX is a price that MyST's dollarmath
took for maths (``_ext/money.price_like_math``) and no BibTeX ``\\$`` is left in the text, at
desktop width and on a 390-px phone. On the phone, no page scrolls sideways
(``scrollingElement.scrollWidth <= innerWidth``), every figure keeps its aspect ratio and a
table wider than the screen scrolls inside its own box. The calculator page's outputs equal the
Python package's on a grid of inputs, and its ``config.json`` counter equals
``ModelSpec.from_hf_config`` on the catalog's Llama-family configs.

Skips, with the reason, only where no Chromium can be found (set ``CHROMIUM`` to another
binary). ``BOOK_HTML`` points the test at another built site.
"""

from __future__ import annotations

import functools
import http.server
import itertools
import json
import math
import os
import re
import shutil
import sys
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import pytest

from analysis.site.pages import toc_documents

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
from money import price_like_math  # noqa: E402  (the book's local Sphinx extension)

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
PHONE = {"width": 390, "height": 844}
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

    def __init__(self, browser, base: str, viewport: dict | None = None):
        self.base = base
        self.errors: list[str] = []
        self.external: list[str] = []
        self.context = browser.new_context(viewport=viewport or VIEWPORT, service_workers="block")
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
        # generous limits: the largest chapters (tables, MathJax, a dozen figures) load in a few
        # seconds, but on two busy CI cores one once took over 30 s (playwright's default)
        self.page.goto(self.base + path, wait_until="load", timeout=120_000)
        self.page.wait_for_load_state("networkidle", timeout=120_000)
        return self.page

    def close(self):
        self.context.close()


@pytest.fixture
def visit_http(browser, server):
    visits = []

    def make(viewport: dict | None = None):
        visits.append(Visit(browser, server, viewport))
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

# The TeX source of every formula MathJax typeset on the page.
MATH_TEX = """() => (window.MathJax && MathJax.startup && MathJax.startup.document)
  ? MathJax.startup.document.getMathItemsWithin(document.body).map(m => m.math) : []"""

LAYOUT = """() => {
  const root = document.scrollingElement;
  const figures = [...document.querySelectorAll(".bd-article img")]
    .filter(img => img.naturalWidth && img.getClientRects().length)
    .map(img => { const r = img.getBoundingClientRect();
      return {src: img.currentSrc || img.src, w: r.width, h: r.height,
              nw: img.naturalWidth, nh: img.naturalHeight}; });
  const scrolls = el => { for (let e = el; e && e !== document.body; e = e.parentElement) {
      const o = getComputedStyle(e).overflowX; if (o === "auto" || o === "scroll") return true; }
    return false; };
  const tables = [...document.querySelectorAll(".bd-article table")]
    .filter(t => t.getClientRects().length && t.scrollWidth > t.clientWidth + 1)
    .map(t => ({text: t.textContent.trim().slice(0, 60), boxed: scrolls(t)}));
  const wide = [...document.querySelectorAll(".bd-article *")]
    .filter(e => e.getClientRects().length && e.getBoundingClientRect().right > innerWidth + 1)
    .filter(e => !scrolls(e.parentElement))
    .slice(0, 5).map(e => e.tagName + "." + e.className + ": " + e.textContent.trim().slice(0, 50));
  return {scrollWidth: root.scrollWidth, innerWidth: innerWidth, figures, tables, wide};
}"""


def price_problems(page) -> list[str]:
    """Formulas whose TeX is really prose that began with a price, and BibTeX's escaped dollars."""
    problems = [
        f"a price typeset as maths: {t[:80]!r}"
        for t in page.evaluate(MATH_TEX)
        if price_like_math(t)
    ]
    text = page.evaluate(VISIBLE_TEXT)
    if "\\$" in text:
        i = text.index("\\$")
        problems.append(f"an escaped dollar (\\$) in the text: {text[max(0, i - 40) : i + 20]!r}")
    return problems


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
    if typeset:
        problems += price_problems(page)
    elif "\\$" in text:
        problems.append("an escaped dollar (\\$) in the text")
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


@pytest.mark.parametrize("path", PAGES)
def test_page_on_a_phone(visit_http, site, path):
    """390 px wide: nothing scrolls sideways, figures keep their aspect, prices stay money."""
    if not (site / path).is_file():
        pytest.fail(f"{path} is in the book but was not built")
    visit = visit_http(PHONE)
    page = visit.open(path)
    page.evaluate(WAIT_FOR_MATH)
    page.evaluate(IMAGES_LOADED)
    layout = page.evaluate(LAYOUT)
    problems = list(visit.errors)
    if layout["scrollWidth"] > layout["innerWidth"]:
        problems.append(
            f"scrolls sideways: {layout['scrollWidth']} px wide at {layout['innerWidth']} px; "
            f"too wide: {layout['wide']}"
        )
    for fig in layout["figures"]:
        shown, natural = fig["h"] / fig["w"], fig["nh"] / fig["nw"]
        if abs(shown / natural - 1) > 0.03:
            problems.append(
                f"figure squashed: {fig['src'].rsplit('/', 1)[-1]} shown {fig['w']:.0f}x{fig['h']:.0f}, "
                f"drawn {fig['nw']}x{fig['nh']}"
            )
    problems += [
        f"wide table not in a scrolling box: {t['text']!r}"
        for t in layout["tables"]
        if not t["boxed"]
    ]
    problems += price_problems(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(  # the first screen only: a full 390-px page of the gallery is very tall
        path=str(SCREENSHOTS / ("phone__" + path.replace("/", "__").replace(".html", ".png")))
    )
    assert not problems, f"{path} at {PHONE['width']} px:\n  " + "\n  ".join(problems)


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


# ---- the calculator page -----------------------------------------------------------------------
CALC_MODELS = (
    "llama-3-8b",
    "llama-3-70b",
    "mistral-7b",
    "mixtral-8x7b",
    "qwen2.5-72b",
    "deepseek-v3",
)
CALC_CHIPS = ("h100-sxm", "h200", "a100-sxm", "b200", "mi300x")
CALC_RENT = 2.5  # USD per GPU-hour, typed into the form


def calculator_grid() -> list[dict]:
    """At least 50 inputs: models x chips x dtypes x GPUs x context x batch, thinned evenly."""
    from analysis import hardware

    chips = [c for c in CALC_CHIPS if c in hardware.catalog()]
    combos = itertools.product(
        CALC_MODELS,
        chips,
        ("bf16", "fp8"),
        ("bf16", "fp8"),
        (1, 8),
        (1024, 8192, 32768),
        (1, 8, 64),
    )
    grid = []
    for i, (model, chip, wd, kvd, g, ctx, batch) in enumerate(combos):
        if i % 7 or wd not in hardware.get(chip).dtypes:
            continue
        grid.append(
            {
                "model": model,
                "hardware": chip,
                "weight_dtype": wd,
                "kv_dtype": kvd,
                "compute_dtype": wd,
                "n_gpus": g,
                "context": ctx,
                "batch": batch,
                "rent_usd_per_gpu_hour": CALC_RENT,
            }
        )
    return grid


def python_reference(inp: dict) -> dict | None:
    """What the package's own functions (the ones chapters call) give for one input; None: invalid."""
    from analysis import energy, hardware, memory, models, pricing, roofline, serving

    spec, acc = models.get(inp["model"]), hardware.get(inp["hardware"])
    ctx, batch, g = inp["context"], inp["batch"], inp["n_gpus"]
    wd, kvd, cd = inp["weight_dtype"], inp["kv_dtype"], inp["compute_dtype"]
    if spec.max_context is not None and ctx > spec.max_context:
        return None
    out = {
        "weight_bytes": spec.weight_bytes(wd),
        "kv_bytes_per_sequence": spec.kv_cache_bytes(ctx, kvd),
        "critical_batch": roofline.accelerator_critical_batch(acc, cd, wd),
        "instances": None,
        "tpot_s": None,
        "tokens_per_s": None,
        "usd_per_mtok": None,
        "j_per_token": None,
    }
    # KV copies per sequence under tensor parallelism (MLA's one latent head on every GPU)
    rep = serving.setup(spec, acc.key, g, wd, kvd, compute_dtype=cd, bound=True).kv_replication
    try:
        limits = memory.group_limits(
            spec.weight_bytes(wd),
            spec.kv_cache_bytes(ctx, kvd) * rep,
            group_gpus=g,
            mem_bytes=acc.mem_bytes,
        )
    except memory.InfeasibleServingError:
        return out
    out["instances"] = limits.capacity
    if batch > limits.capacity:
        return out
    dep = pricing.Deployment(spec, acc, g, wd, kvd, cd)
    cost = pricing.decode_cost(dep, CALC_RENT, ctx, batch=batch, bound=True)  # the page's law
    out.update(tpot_s=cost.step_s, tokens_per_s=cost.tokens_per_s, usd_per_mtok=cost.usd_per_mtok)
    if acc.tdp_w:
        e = energy.energy_per_token(spec, acc.key, batch, ctx, wd, kvd, n_gpus=1, bound=True)
        out["j_per_token"] = e.total_j
    return out


CALC_COMPUTE = """inputs => inputs.map(inp => {
  try { return window.bookCalculator.compute(inp); } catch (e) { return {error: e.message}; }
})"""


def test_calculator_matches_the_python_package(visit_http, site):
    grid = calculator_grid()
    assert len(grid) >= 50, len(grid)
    visit = visit_http()
    page = visit.open("chapters/calculator.html")
    results = page.evaluate(CALC_COMPUTE, grid)
    problems, compared = list(visit.errors), 0
    for inp, js in zip(grid, results, strict=True):
        want = python_reference(inp)
        label = ", ".join(f"{k}={v}" for k, v in inp.items() if k != "rent_usd_per_gpu_hour")
        if want is None:
            if "error" not in js:
                problems.append(f"{label}: Python refuses this input, the page computed {js}")
            continue
        if "error" in js:
            problems.append(f"{label}: the page failed: {js['error']}")
            continue
        for key, value in want.items():
            got = js.get(key)
            if value is None or got is None:
                if (value is None) != (got is None):
                    problems.append(f"{label}: {key} is {got} on the page, {value} in Python")
            elif not math.isclose(got, value, rel_tol=1e-9):
                problems.append(f"{label}: {key} is {got} on the page, {value} in Python")
            else:
                compared += 1
    assert not problems, "\n".join(problems[:20])
    assert compared >= 6 * 50, compared  # most inputs reach every output


def test_calculator_counts_a_pasted_config_like_the_package(visit_http, site):
    from analysis import models, roofline
    from analysis.sources import DATA_DIR

    page = visit_http().open("chapters/calculator.html")
    checked = 0
    for spec in models.all_models():
        path = DATA_DIR / "models" / f"{spec.name}.json"
        config = json.loads(path.read_text(encoding="utf-8"))
        if config.get("model_type") not in ("llama", "mistral", "mixtral", "qwen2"):
            continue
        js = page.evaluate("cfg => window.bookCalculator.modelFromConfig(cfg)", config)
        want = models.ModelSpec.from_hf_config(config)
        assert js["n_params"] == want.n_params, spec.name
        assert js["n_active_params"] == want.n_active_params, spec.name
        assert js["matmul_params"] == roofline.matmul_params(want), spec.name
        assert js["attention_flops_per_position"] == roofline.attention_flops_per_position(want)
        assert js["kv_elements_per_token"] == want.kv_elements_per_token, spec.name
        assert js["sliding_window"] == want.sliding_window and js["max_context"] == want.max_context
        checked += 1
    assert checked >= 4
    with pytest.raises(Exception, match="model_type"):
        page.evaluate("() => window.bookCalculator.modelFromConfig({model_type: 'mamba'})")


@pytest.mark.parametrize("viewport", [VIEWPORT, PHONE], ids=["desktop", "phone"])
def test_calculator_form_shows_results(visit_http, site, viewport):
    visit = visit_http(viewport)
    page = visit.open("chapters/calculator.html")
    cells = page.eval_on_selector_all(
        "#calc-results td.value",
        "tds => Object.fromEntries(tds.map(t => [t.dataset.key, t.textContent]))",
    )
    assert page.inner_text("#calc-error") == "", page.inner_text("#calc-error")
    assert all(v != "—" for v in cells.values()), cells
    assert cells["usd_per_mtok"].startswith("$"), cells
    # paste a config.json: the catalog's Llama 3 8B counted in the page
    from analysis.sources import DATA_DIR

    page.select_option("#calc-model", "__config__")
    page.fill("#calc-config", (DATA_DIR / "models" / "llama-3-8b.json").read_text(encoding="utf-8"))
    page.fill("#calc-context", "4096")
    assert page.inner_text("#calc-error") == ""
    assert page.inner_text('td[data-key="weight_bytes"]') == "16.1 GB"  # 8.03 B params x 2 B
    assert not visit.errors, visit.errors


@pytest.fixture(scope="session", autouse=True)
def _clean_screenshots(request):
    # Under pytest-xdist every worker runs this fixture while the others are already writing
    # their screenshots: only the controller (tests/conftest.py) clears the folder then.
    if not hasattr(request.config, "workerinput") and SCREENSHOTS.is_dir():
        shutil.rmtree(SCREENSHOTS)
    yield
