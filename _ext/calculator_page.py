"""The calculator's scripts load on the calculator page only, in their order.

jupyter-book adds every ``*.js`` under ``_static/`` to every page, in alphabetical order. The
calculator's (``_static/calculator/``: the printed laws, the exported catalogs, the form) are
loaded by ``chapters/calculator.md`` itself, laws and data before the form, so they are dropped
from the global list here.
"""

from __future__ import annotations

from sphinx.application import Sphinx

PREFIX = "calculator/"


def _drop_calculator_scripts(app: Sphinx, config) -> None:
    def name(entry) -> str:
        return str(entry[0] if isinstance(entry, list | tuple) else entry)

    config.html_js_files = [e for e in config.html_js_files if not name(e).startswith(PREFIX)]


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _drop_calculator_scripts)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
