"""The book's figures: a registry (``registry``), the style, and one module per chapter."""

from .registry import (
    FIGURES_DIR,
    REGISTRY,
    chapter_label,
    export_all,
    figure_md,
    glue_figure,
    make,
    register,
    render,
    show,
    spec,
)

__all__ = [
    "FIGURES_DIR",
    "REGISTRY",
    "chapter_label",
    "export_all",
    "figure_md",
    "glue_figure",
    "make",
    "register",
    "render",
    "show",
    "spec",
]
