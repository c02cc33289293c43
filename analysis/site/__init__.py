"""Generated pages of the website, each rewritten by ``make figures`` and checked fresh by a test.

``pages`` holds what they share (MyST helpers, the toc, atomic writes); ``appendix`` (data sources),
``gallery`` (figures with downloads and citations), ``provenance`` (execution and measurement
files), ``notation`` (every symbol of the laws), ``calculator`` (the calculator page, its laws
printed as JavaScript and its catalogs as JSON), ``rerun`` (rerunning on a GPU) and ``citation``
(the "how to cite" blocks, from CITATION.cff) each own one page.
"""

GENERATORS = (
    "appendix",
    "gallery",
    "provenance",
    "notation",
    "calculator",
    "rerun",
)  # modules with render() and main(), in run order
