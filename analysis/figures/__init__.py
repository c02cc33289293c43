"""The book's figures: a registry (``registry``), the style, and one module per chapter."""

from .registry import FIGURES_DIR, REGISTRY, export_all, make, register, render, show, spec

__all__ = ["FIGURES_DIR", "REGISTRY", "export_all", "make", "register", "render", "show", "spec"]
