"""Shared test setup: hypothesis profile and the marker that skips GPU tests without a GPU."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config):
    """Under pytest-xdist, the controller clears the browser test's screenshots before any
    worker writes one (test_browser's own fixture does it when there are no workers)."""
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        return
    if "browser" not in (config.option.markexpr or "").replace("not browser", ""):
        return
    import shutil
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    site = Path(os.environ.get("BOOK_HTML", root / "_build" / "html")).resolve()
    shutil.rmtree(site.parent / "screenshots", ignore_errors=True)


def gpu_available() -> bool:
    try:
        import cupy

        return bool(cupy.cuda.is_available())
    except Exception:  # ImportError, or a CUDA driver/runtime error
        return False


def pytest_collection_modifyitems(config, items):
    if gpu_available():
        return
    skip = pytest.mark.skip(
        reason="no NVIDIA GPU with CuPy on this machine (cupy.cuda.is_available() is False)"
    )
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
