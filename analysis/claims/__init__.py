"""The claims ledger: every quantitative claim of the source text, recomputed, with a verdict.

``ledger`` holds the rule (``classify``) and the record (``Claim``); ``catalog`` one builder per
claim, which calls the chapters' functions (never a literal value); ``export`` the CSV and JSON
files. ``table`` chapter 7's tables with an anchor per claim. Import order is one way:
ledger <- catalog <- export, table.
"""

from .catalog import BUILDERS, by_topic, get, ledger, verdict_counts
from .export import CSV_FIELDS, EXPORTS, export, main, render_csv, render_json
from .ledger import (
    COMPARISONS,
    HALF_DECADE,
    NUMERIC_VERDICTS,
    TOPICS,
    VERDICTS,
    Claim,
    Sensitivity,
    classify,
    flipped,
    format_number,
    judged,
    numeric,
    sweep,
)
from .table import anchor, topic_markdown

__all__ = [
    "BUILDERS", "COMPARISONS", "CSV_FIELDS", "EXPORTS", "HALF_DECADE", "NUMERIC_VERDICTS",
    "TOPICS", "VERDICTS", "Claim", "by_topic", "classify", "export", "format_number", "get",
    "Sensitivity", "flipped", "judged", "ledger", "main", "numeric", "render_csv", "render_json", "sweep",
    "verdict_counts", "anchor", "topic_markdown",
]  # fmt: skip
