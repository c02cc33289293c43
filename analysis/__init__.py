"""Executable analysis for the book *Why LLM inference is bound by memory, not arithmetic*.

Modules: ``units`` (dtypes, SI helpers), ``hardware`` and ``models`` (sourced catalogs),
``prices`` (dated API prices), ``sources`` (bibliography keys), and one module per chapter.
"""

__version__ = "0.1.0"
