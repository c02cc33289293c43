"""One vocabulary of errors: the package raises its typed errors (analysis/errors.py), never a
bare ValueError, TypeError or KeyError that a caller cannot tell from a bug."""

from __future__ import annotations

import ast
from pathlib import Path

import analysis
from analysis import errors

PACKAGE = Path(analysis.__file__).parent
# State misuse (a sampler stopped before it started) stays RuntimeError, as in the stdlib.
BARE = {"ValueError", "TypeError", "KeyError"}


def bare_raises(path: Path) -> list[int]:
    """Line numbers of ``raise X(...)`` / ``raise X`` with X a builtin error in ``path``."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name) and exc.id in BARE:
                out.append(node.lineno)
    return out


def test_the_scan_sees_a_bare_raise(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("def f(x):\n    if x:\n        raise ValueError('x')\n    raise errors.X('y')\n")
    assert bare_raises(f) == [3]


def test_no_bare_builtin_errors_in_the_package():
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = bare_raises(path)
        if lines:
            found[path.relative_to(PACKAGE).as_posix()] = lines
    assert not found, f"bare builtin raises (use analysis.errors): {found}"


def test_every_typed_error_is_an_analysis_error_and_a_builtin_one():
    typed = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, Exception)]
    assert len(typed) >= 10
    for cls in typed:
        assert issubclass(cls, errors.AnalysisError)
        # callers that catch the builtin family keep working
        assert cls is errors.AnalysisError or issubclass(cls, ValueError | TypeError | LookupError)
