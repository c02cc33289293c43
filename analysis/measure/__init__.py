"""Measurement harness: one set of kernels, two backends (NumPy on CPU, CuPy on GPU).

Run ``python -m analysis.measure --suite NAME [--out PATH] [--quick]``. Results are JSON with
provenance (device, versions, date, git commit, sizes, every repeat's time), written atomically.
Suites register themselves with ``@suite(name)`` in their own modules (``*_suite.py``).
"""

from .backend import Backend, get_backend
from .results import MEASUREMENTS_DIR, load, reference, reference_path
from .suites import SUITES, suite
from .timing import Timing, time_fn

__all__ = [
    "MEASUREMENTS_DIR", "SUITES", "Backend", "Timing", "get_backend", "load", "reference",
    "reference_path", "suite", "time_fn",
]  # fmt: skip
