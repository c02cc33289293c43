"""How to cite the book, a page of it or one of its figures: text and BibTeX from CITATION.cff.

CITATION.cff is the single source of the book's title, authors, version, year and URL; the
figure gallery (``analysis.site.gallery``) and the "How to cite this page" block that the local
Sphinx extension ``_ext/cite_page.py`` adds to every page both use these functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import InvalidTypeError, require_text
from ..sources import ROOT

CFF_PATH = ROOT / "CITATION.cff"
CONFIG_PATH = ROOT / "_config.yml"


@dataclass(frozen=True)
class BookMeta:
    title: str
    authors: tuple[str, ...]
    version: str
    year: str
    url: str  # the site's base URL ("" until one is set)
    licenses: tuple[str, ...]

    @property
    def short_key(self) -> str:
        """BibTeX key stem: the title before its colon, as a slug ('memory-not-arithmetic')."""
        return slug(self.title.split(":")[0])


def slug(text: str) -> str:
    """``text`` lower-cased, each run of characters other than a-z and 0-9 as one "-", with no
    "-" at either end ('Memory, not arithmetic' -> 'memory-not-arithmetic')."""
    require_text("text", text)
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _require_meta(meta: object) -> None:
    if not isinstance(meta, BookMeta):
        raise InvalidTypeError("meta", meta, "a BookMeta (from book_meta())")


def _person(person: dict) -> str:
    if "name" in person:
        return str(person["name"])
    return ", ".join(
        p for p in (person.get("family-names", ""), person.get("given-names", "")) if p
    )


def book_meta(cff_path: Path = CFF_PATH, config_path: Path = CONFIG_PATH) -> BookMeta:
    """The book's metadata: CITATION.cff, with the base URL from ``html.baseurl`` in _config.yml.

    ``cff_path`` is the CITATION.cff to read, ``config_path`` the _config.yml consulted when it
    states no URL.
    """
    cff = yaml.safe_load(Path(cff_path).read_text(encoding="utf-8"))
    pref = cff.get("preferred-citation") or {}
    url = pref.get("url") or cff.get("url") or ""
    if not url and Path(config_path).is_file():
        config = yaml.safe_load(Path(config_path).read_text(encoding="utf-8")) or {}
        url = (config.get("html") or {}).get("baseurl") or ""
    licenses = cff.get("license") or []
    return BookMeta(
        title=str(pref.get("title") or cff["title"]),
        authors=tuple(_person(p) for p in (pref.get("authors") or cff.get("authors") or [])),
        version=str(pref.get("version") or cff.get("version") or ""),
        year=str(pref.get("year") or str(cff.get("date-released", ""))[:4]),
        url=str(url).rstrip("/"),
        licenses=tuple([licenses] if isinstance(licenses, str) else licenses),
    )


def page_url(meta: BookMeta, path: str) -> str:
    """The absolute URL of ``path`` (e.g. 'chapters/gallery.html#fig-x') once ``meta`` (from
    :func:`book_meta`) has a base URL; ``path`` itself until then."""
    _require_meta(meta)
    require_text("path", path)
    return f"{meta.url}/{path}" if meta.url else path


def bibtex_escape(text: str) -> str:
    """``text`` with BibTeX's special characters & % # _ $ escaped by a backslash."""
    require_text("text", text)
    return re.sub(r"([&%#_$])", r"\\\1", text)


def _authors_bibtex(meta: BookMeta) -> str:
    # a corporate author (no comma) is braced so BibTeX does not split it into given/family names
    return " and ".join(a if "," in a else "{" + a + "}" for a in meta.authors)


def _authors_text(meta: BookMeta) -> str:
    return "; ".join(meta.authors)


def bibtex(kind: str, key: str, fields: dict[str, str]) -> str:
    """A BibTeX entry ``@kind{key, ...}`` of ``fields`` (field name -> text; empty ones left
    out)."""
    require_text("kind", kind)
    require_text("key", key)
    if not isinstance(fields, dict):
        raise InvalidTypeError("fields", fields, "a dict of field name -> text")
    for name, value in fields.items():
        require_text(f"fields[{name!r}]", value)
    body = ",\n".join(f"  {name:<12} = {{{value}}}" for name, value in fields.items() if value)
    return f"@{kind}{{{key},\n{body}\n}}"


def cite_book(meta: BookMeta, path: str = "") -> tuple[str, str]:
    """(text, BibTeX) for the whole book described by ``meta`` (from :func:`book_meta`), its URL
    that of ``path`` inside the site (default: the site's root)."""
    _require_meta(meta)
    require_text("path", path)
    url = page_url(meta, path) if (path or meta.url) else ""
    version = f", version {meta.version}" if meta.version else ""
    text = f"{_authors_text(meta)} ({meta.year}). {meta.title}{version}." + (
        f" {url}" if url else ""
    )
    entry = bibtex(
        "book",
        meta.short_key,
        {
            "title": "{" + bibtex_escape(meta.title) + "}",
            "author": _authors_bibtex(meta),
            "year": meta.year,
            "edition": f"Version {meta.version}" if meta.version else "",
            "url": url,
        },
    )
    return text, entry


def cite_page(meta: BookMeta, title: str, path: str) -> tuple[str, str]:
    """(text, BibTeX) for one page (chapter or appendix) called ``title`` at ``path`` inside the
    site of the book described by ``meta`` (from :func:`book_meta`)."""
    _require_meta(meta)
    require_text("title", title)
    require_text("path", path)
    url = page_url(meta, path)
    version = f", version {meta.version}" if meta.version else ""
    text = f"{_authors_text(meta)} ({meta.year}). “{title}”. In {meta.title}{version}. {url}"
    entry = bibtex(
        "incollection",
        f"{meta.short_key}-{slug(Path(path.split('#')[0]).stem)}",
        {
            "title": "{" + bibtex_escape(title) + "}",
            "author": _authors_bibtex(meta),
            "booktitle": "{" + bibtex_escape(meta.title) + "}",
            "year": meta.year,
            "edition": f"Version {meta.version}" if meta.version else "",
            "url": url,
        },
    )
    return text, entry


def cite_figure(meta: BookMeta, fig_id: str, title: str, path: str) -> tuple[str, str]:
    """(text, BibTeX) for the figure ``fig_id`` called ``title``, whose stable anchor is
    ``path``, in the book described by ``meta`` (from :func:`book_meta`)."""
    _require_meta(meta)
    require_text("fig_id", fig_id)
    require_text("title", title)
    require_text("path", path)
    url = page_url(meta, path)
    version = f", version {meta.version}" if meta.version else ""
    licence = " Licensed CC BY 4.0." if "CC-BY-4.0" in meta.licenses else ""
    text = (
        f"{_authors_text(meta)} ({meta.year}). “{title}” (figure {fig_id}). In {meta.title}"
        f"{version}. {url}.{licence}"
    )
    entry = bibtex(
        "misc",
        f"{meta.short_key}-fig-{fig_id}",
        {
            "title": "{" + bibtex_escape(title) + "}",
            "author": _authors_bibtex(meta),
            "howpublished": "Figure \\texttt{"
            + bibtex_escape(fig_id)
            + "} in \\emph{"
            + bibtex_escape(meta.title)
            + "}"
            + (f", version {meta.version}" if meta.version else ""),
            "year": meta.year,
            "url": url,
            "note": "Licensed CC BY 4.0" if licence else "",
        },
    )
    return text, entry
