"""The figure modules, listed explicitly: importing each registers its figures.

A new figure module goes into ``MODULES``; a test fails if a module in this folder is missing.
"""

import importlib

MODULES = (
    "overview", "ch1_asymmetry", "ch2_vram", "ch_designs", "ch_serving", "ch3_pricing",
    "ch4_physics", "ch5_claims",
)  # fmt: skip
NOT_FIGURES = ("registry", "style", "chapters", "__main__", "__init__")

for _name in MODULES:
    importlib.import_module(f"{__package__}.{_name}")
