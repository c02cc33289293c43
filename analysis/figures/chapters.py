"""Imports every figure module in this package so that its figures register themselves."""

import importlib
import pkgutil
from pathlib import Path

_NOT_FIGURES = {"registry", "style", "chapters", "__main__"}

for _module in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
    if _module.name not in _NOT_FIGURES:
        importlib.import_module(f"{__package__}.{_module.name}")
