"""Generated pages of the website, each rewritten by ``make figures`` and checked fresh by a test.

``pages`` holds what they share (MyST helpers, the toc, atomic writes); ``appendix`` (data sources),
``gallery`` (figures with downloads and citations), ``provenance`` (execution and measurement
files) and ``citation`` (the "how to cite" blocks, from CITATION.cff) each own one page.
"""

GENERATORS = ("appendix", "gallery", "provenance")  # modules with render() and main(), in run order
