"""``{package-versions}``: the Python and package versions of the build that made this page.

The pins come from ``requirements.txt`` (and every resolved pin from ``constraints.txt``); the
installed versions are read at build time, so the page records what really ran, and flags any
package that differs from its pin.
"""

from __future__ import annotations

import platform
import re
from importlib import metadata
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

_PIN = re.compile(r"^\s*([A-Za-z0-9_.\-\[\]]+)\s*==\s*([^\s;#]+)")


def read_pins(path: Path) -> dict[str, str]:
    pins = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            match = _PIN.match(line)
            if match:
                pins[re.sub(r"\[.*\]", "", match.group(1))] = match.group(2)
    return pins


def installed(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def version_table(srcdir: Path) -> str:
    direct = read_pins(srcdir / "requirements.txt")
    resolved = read_pins(srcdir / "constraints.txt")
    rows = ["| Package | Pinned | Installed in this build |", "|---|---|---|"]
    for name, pin in direct.items():
        have = installed(name)
        shown = (
            "not installed" if have is None else (have if have == pin else f"**{have}** (differs)")
        )
        rows.append(f"| `{name}` | {pin} | {shown} |")
    others = sorted(set(resolved) - set(direct), key=str.lower)
    differ = [n for n in others if installed(n) not in (None, resolved[n])]
    summary = (
        f"Python {platform.python_version()} ({platform.python_implementation()}) on "
        f"{platform.system()} {platform.machine()}. The {len(others)} further packages pinned in "
        f"`constraints.txt` "
        + (
            "all match their pins."
            if not differ
            else "differ here: "
            + ", ".join(f"`{n}` {installed(n)} (pin {resolved[n]})" for n in differ)
            + "."
        )
    )
    return summary + "\n\n" + "\n".join(rows)


class PackageVersions(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        srcdir = Path(self.env.srcdir)
        for name in ("requirements.txt", "constraints.txt"):
            self.env.note_dependency(str(srcdir / name))
        container = nodes.container(classes=["package-versions"])
        self.state.nested_parse(
            StringList(version_table(srcdir).splitlines(), "package-versions"),
            self.content_offset,
            container,
        )
        return [container]


def setup(app: Sphinx) -> dict:
    app.add_directive("package-versions", PackageVersions)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
