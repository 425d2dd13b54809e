"""Translation catalogs, one per domain: `python -m app.core.i18n_tools update|check`.

Each domain keeps `app/<domain>/translations/<lang>/LC_MESSAGES/messages.po`
(and the compiled `.mo`). Strings are extracted from `app/<domain>/` and
`templates/<domain>/` (the core domain also owns `templates/*.html` and
`templates/errors/`). Source strings are English; Korean and Japanese are
translated. `update` extracts, merges and compiles; `check` lists messages
that are untranslated, fuzzy, or whose `.mo` is out of date.
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from app.core.i18n import APP_DIR, DOMAINS_WITH_TRANSLATIONS

ROOT = APP_DIR.parent
TEMPLATES = ROOT / "templates"
TRANSLATED = ("ko", "ja")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "lazy_ngettext": (1, 2), "pgettext": ((1, "c"), 2), "npgettext": ((1, "c"), 2, 3),
            "lazy_pgettext": ((1, "c"), 2), "_lp": ((1, "c"), 2)}
PY_MAP = [("**.py", "python")]
JINJA_MAP = [("**.html", "jinja2"), ("**.txt", "jinja2")]
JINJA_OPTIONS = {"**.html": {"extensions": "jinja2.ext.do"}, "**.txt": {"extensions": "jinja2.ext.do"}}


def _sources(domain: str):
    """(directory, method map) pairs, plus single template files for core."""
    dirs = [(APP_DIR / domain, PY_MAP), (TEMPLATES / domain, JINJA_MAP)]
    files: list[Path] = []
    if domain == "core":
        dirs += [(TEMPLATES / "errors", JINJA_MAP), (ROOT / "workers", PY_MAP)]
        files = sorted(TEMPLATES.glob("*.html")) + [APP_DIR / "cli.py", APP_DIR / "__init__.py"]
    return [(d, m) for d, m in dirs if d.is_dir()], files


def extract(domain: str) -> Catalog:
    template = Catalog(project="Frontdesk", charset="utf-8")
    dirs, files = _sources(domain)
    for directory, method_map in dirs:
        for filename, lineno, message, comments, context in extract_from_dir(
                str(directory), method_map, options_map=JINJA_OPTIONS, keywords=KEYWORDS):
            template.add(message, None, [(str(Path(directory, filename).relative_to(ROOT)), lineno)],
                         auto_comments=comments, context=context)
    for path in files:
        method = "jinja2" if path.suffix == ".html" else "python"
        for lineno, message, comments, context in extract_from_file(method, str(path), keywords=KEYWORDS,
                                                                    options={"extensions": "jinja2.ext.do"}):
            template.add(message, None, [(str(path.relative_to(ROOT)), lineno)], auto_comments=comments,
                         context=context)
    return template


def po_path(domain: str, lang: str) -> Path:
    return APP_DIR / domain / "translations" / lang / "LC_MESSAGES" / "messages.po"


def update(domains=DOMAINS_WITH_TRANSLATIONS) -> None:
    for domain in domains:
        template = extract(domain)
        if not len(template):
            continue
        for lang in TRANSLATED:
            path = po_path(domain, lang)
            if path.exists():
                with path.open("rb") as f:
                    catalog = read_po(f, locale=lang)
                catalog.update(template, no_fuzzy_matching=True)
            else:
                catalog = Catalog(locale=lang, project="Frontdesk", charset="utf-8")
                catalog.update(template, no_fuzzy_matching=True)
            path.parent.mkdir(parents=True, exist_ok=True)
            buffer = io.BytesIO()
            write_po(buffer, catalog, width=100, omit_header=False, ignore_obsolete=True)
            old = path.read_bytes() if path.exists() else b""
            if _without_creation_date(buffer.getvalue()) != _without_creation_date(old):
                path.write_bytes(buffer.getvalue())   # only real changes are written (no date-only churn)
            if not _mo_matches(path):
                compile_catalog(path)


def _without_creation_date(po: bytes) -> bytes:
    return b"\n".join(line for line in po.split(b"\n") if not line.startswith(b'"POT-Creation-Date:'))


def compile_catalog(path: Path) -> None:
    with path.open("rb") as f:
        catalog = read_po(f)
    with path.with_suffix(".mo").open("wb") as f:
        write_mo(f, catalog, use_fuzzy=False)


def _hashable(value):
    """Plural messages come back from a .mo file as lists (from a .po file as tuples)."""
    return tuple(value) if isinstance(value, list) else value


def _mo_matches(path: Path) -> bool:
    """True when the compiled .mo next to `path` holds exactly the .po's translations."""
    mo = path.with_suffix(".mo")
    if not mo.exists():
        return False
    with path.open("rb") as f:
        catalog = read_po(f)
    with mo.open("rb") as f:
        compiled = read_mo(f)
    expected = {_hashable(m.id): _hashable(m.string) for m in catalog if m.id and m.string and not m.fuzzy}
    actual = {_hashable(m.id): _hashable(m.string) for m in compiled if m.id}
    return expected == actual


def problems(domains=DOMAINS_WITH_TRANSLATIONS) -> list[str]:
    """Messages used in the code but missing a ko/ja translation, and stale .mo files."""
    found = []
    for domain in domains:
        template = extract(domain)
        for lang in TRANSLATED:
            path = po_path(domain, lang)
            if not len(template):
                continue
            if not path.exists():
                found.append(f"{path.relative_to(ROOT)}: missing ({len(template)} messages)")
                continue
            with path.open("rb") as f:
                catalog = read_po(f, locale=lang)
            for message in template:
                if not message.id:
                    continue
                entry = catalog.get(message.id, context=message.context)
                text = entry.string if entry else None
                if entry is None or not text or (isinstance(text, tuple) and not all(text)) \
                        or entry.fuzzy:
                    found.append(f"{path.relative_to(ROOT)}: untranslated {message.id!r}")
            mo = path.with_suffix(".mo")
            if not mo.exists():
                found.append(f"{mo.relative_to(ROOT)}: not compiled")
                continue
            if not _mo_matches(path):
                found.append(f"{mo.relative_to(ROOT)}: out of date (run: make messages)")
    return found


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "update"
    domains = argv[2:] or DOMAINS_WITH_TRANSLATIONS
    if command == "update":
        update(domains)
        issues = problems(domains)
        out = io.StringIO()
        for line in issues:
            print(line, file=out)
        sys.stdout.write(out.getvalue())
        print(f"{len(issues)} messages need a translation." if issues else "All messages translated.")
        return 0
    if command == "check":
        issues = problems(domains)
        for line in issues:
            print(line)
        return 1 if issues else 0
    print("usage: python -m app.core.i18n_tools update|check [domain …]")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
