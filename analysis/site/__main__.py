"""``python -m analysis.site``: rewrite every generated page (appendix, gallery, provenance)."""

import importlib

from . import GENERATORS

for _name in GENERATORS:
    importlib.import_module(f"{__package__}.{_name}").main()
