"""The registry of measurement suites. A suite is ``f(backend, quick, progress) -> dict``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import DefinitionError
from .backend import Backend


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    run: Callable[..., dict]  # (backend: Backend, quick: bool, progress: Progress) -> results


SUITES: dict[str, Suite] = {}


def suite(name: str, description: str):
    """Decorator: register the decorated ``f(backend, quick, progress) -> dict`` in ``SUITES``
    under ``name`` with its one-line ``description``; a second suite of that name raises."""

    def wrap(func):
        if name in SUITES:
            raise DefinitionError(f"suite {name!r} registered twice")
        SUITES[name] = Suite(name, description, func)
        return func

    return wrap


class Progress:
    """A progress bar (tqdm, on stderr) that suites advance by steps; silent when disabled."""

    def __init__(self, total: int, desc: str, enabled: bool = True):
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc=desc, disable=not enabled, leave=False)

    def step(self, label: str = "") -> None:
        """Advance the bar by one step, showing ``label`` (when given) beside it."""
        if label:
            self.bar.set_postfix_str(label, refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        """Close the bar (it leaves no line behind)."""
        self.bar.close()


def load_all() -> dict[str, Suite]:
    """Import every ``*_suite`` module of this package so that its suites register."""
    import importlib
    import pkgutil
    from pathlib import Path

    for module in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if module.name.endswith("_suite"):
            importlib.import_module(f"{__package__}.{module.name}")
    return SUITES


def run_suite(name: str, backend: Backend, quick: bool, progress: bool = True) -> dict:
    """Run the suite called ``name`` on ``backend`` (``quick``: its short plan; ``progress``: a
    progress bar); returns its results dict."""
    return load_all()[name].run(backend, quick, progress)
