"""The site works offline: MathJax from the build's own ``_static/``, search from ``file://``.

1. Math. MathJax comes from the pinned PyPI package ``sphinx-mathjax-offline`` (MathJax
3.2.2, all components). We only borrow its files: its own ``setup`` would pick the CHTML output, whose
web fonts some browsers refuse to load from ``file://``; SVG output draws every glyph inline,
so math typesets identically from ``file://``, from ``python -m http.server`` or from any host.

2. No thebe. jupyter-book always loads sphinx-thebe, whose inline script declares
``const THEBE_JS_URL`` (a CDN address) twice on every page: a JavaScript error in every
browser console. Unless ``launch_buttons.thebe`` is on, its scripts and stylesheet are dropped;
when it is on, the duplicate is.

3. Search. Sphinx's search works from ``file://`` (its index is a script), but for each result
it fetches the page to show a summary, and browsers refuse ``fetch`` of ``file://`` URLs. A
one-line script turns those summaries off when, and only when, the page was opened from disk.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

PACKAGE = "sphinx-mathjax-offline"  # the distribution's import name really has dashes
ENTRY = "mathjax/tex-svg.js"  # TeX input (with AMS environments) -> SVG output


def mathjax_static_dir() -> Path:
    """The folder that holds ``mathjax/`` inside the installed package."""
    found = importlib.util.find_spec(PACKAGE)
    if found is None or not found.submodule_search_locations:
        raise ExtensionError(
            f"offline_site: the package {PACKAGE!r} is not installed (it is pinned in requirements.txt)"
        )
    static = Path(next(iter(found.submodule_search_locations))) / "static"
    if not (static / ENTRY).is_file():
        raise ExtensionError(f"offline_site: {static / ENTRY} is missing from {PACKAGE!r}")
    return static


def _use_local_mathjax(app: Sphinx, config) -> None:
    # html_static_path entries are copied into _static/, so this yields _static/mathjax/...
    config.html_static_path = [*config.html_static_path, str(mathjax_static_dir())]
    config.mathjax_path = ENTRY
    mj3 = dict(config.mathjax3_config or {})
    mj3.setdefault("svg", {"fontCache": "global"})
    config.mathjax3_config = mj3


FILE_PROTOCOL_SEARCH = (
    # DOCUMENTATION_OPTIONS is a top-level const of documentation_options.js, not a window property
    'if (location.protocol === "file:" && typeof DOCUMENTATION_OPTIONS !== "undefined") '
    "{ DOCUMENTATION_OPTIONS.SHOW_SEARCH_SUMMARY = false; }"
)


def _thebe_enabled(app: Sphinx) -> bool:
    launch = (app.config.html_theme_options or {}).get("launch_buttons") or {}
    return bool(launch.get("thebe"))


def _asset_key(asset) -> tuple:
    return (
        getattr(asset, "filename", str(asset)),
        tuple(sorted((getattr(asset, "attributes", {}) or {}).items())),
    )


def _prune_assets(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    thebe = _thebe_enabled(app)
    for key in ("script_files", "css_files"):
        seen, kept = set(), []
        for asset in context.get(key, []):
            name = str(getattr(asset, "filename", "") or "")
            body = str((getattr(asset, "attributes", {}) or {}).get("body", ""))
            if not thebe and ("sphinx-thebe" in name or "THEBE_JS_URL" in body):
                continue
            if _asset_key(asset) in seen:
                continue
            seen.add(_asset_key(asset))
            kept.append(asset)
        if key in context:
            context[key] = kept


def setup(app: Sphinx) -> dict:
    app.setup_extension("sphinx.ext.mathjax")
    # after documentation_options.js (priority 200), before searchtools.js runs on DOM ready
    app.add_js_file(None, body=FILE_PROTOCOL_SEARCH, priority=210)
    # myst-parser adds its processHtmlClass to mathjax3_config later, at builder-inited
    app.connect("config-inited", _use_local_mathjax)
    app.connect("html-page-context", _prune_assets)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
