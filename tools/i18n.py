"""The word catalogue's tools: extract, update, compile, check (issue 17). Not shipped.

    python tools/i18n.py extract   # audit/ and ui/ -> resources/locale/device_audit.pot
    python tools/i18n.py update    # the template's new words into each language's .po
    python tools/i18n.py compile   # each .po -> .mo (the app reads .mo with gettext)
    python tools/i18n.py part OUT.po FILE...   # a .po of just these files' strings, translated
                                   # where the French catalogue already has them (for a helper)
    python tools/i18n.py merge PART.po...      # translations from part files into fr_CA's .po
    python tools/i18n.py check     # exit 1 when the template, a .po or a .mo is behind the code,
                                   # a translation is missing, or a placeholder differs

Babel does the reading and writing (it knows Python's syntax and the .po format); the app itself
only reads the compiled .mo with the standard library. Locations are written without line
numbers, so moving code does not churn the catalogue.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "resources" / "locale"
TEMPLATE = LOCALE / "device_audit.pot"
DOMAIN = "device_audit"
LANGUAGES = ("fr_CA",)
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
SOURCES = ("audit", "ui")
FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\([^)]*\)[a-z]")


def _po(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def _mo(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.mo"


def extracted(clashes: list[str] | None = None) -> Catalog:
    """Every marked string in the product's code, with the files it appears in. A message used
    both plainly (`_`) and counted (`ngettext`) is one catalogue entry, so one of the two uses
    would never find its translation: such ids are added to `clashes` when it is given."""
    catalog = Catalog(project="Device Audit", domain=DOMAIN, fuzzy=False)
    forms: dict[tuple[str, str | None], set[bool]] = {}
    for source in SOURCES:
        found = extract_from_dir(
            ROOT / source,
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
            comment_tags=("Translators:",),
            strip_comment_tags=True,
        )
        for filename, _lineno, message, comments, context in found:
            where = (f"{source}/{filename}", 0)
            first = message if isinstance(message, str) else message[0]
            forms.setdefault((first, context), set()).add(isinstance(message, str))
            catalog.add(message, locations=[where], auto_comments=comments, context=context)
    if clashes is not None:
        clashes.extend(
            f"used both plainly and counted: {key[0]!r}"
            for key, seen in forms.items()
            if len(seen) > 1
        )
    return catalog


def extracted_files(paths: list[str]) -> Catalog:
    """The marked strings of some files only (a translator's part of the work)."""
    wanted = {str(Path(path).resolve().relative_to(ROOT)) for path in paths}
    part = Catalog(locale="fr_CA", domain=DOMAIN, fuzzy=False)
    part._num_plurals, part._plural_expr = 2, "(n > 1)"
    known = _read(_po("fr_CA"), "fr_CA") if _po("fr_CA").exists() else Catalog()
    for message in extracted():
        if any(location in wanted for location, _ in message.locations):
            old = known.get(message.id, message.context)
            string = old.string if old is not None else ("", "") if message.pluralizable else ""
            part.add(message.id, string, locations=message.locations, context=message.context)
    return part


def merge(parts: list[str]) -> int:
    """Copies every translated message of the part files into fr_CA's .po; returns how many."""
    path = _po("fr_CA")
    catalog = _read(path, "fr_CA")
    count = 0
    for part_path in parts:
        for message in _read(Path(part_path), "fr_CA"):
            if not message.id or message.fuzzy or not all(_strings(message)):
                continue
            target = catalog.get(message.id, message.context)
            if target is not None:
                target.string = message.string
                target.flags.discard("fuzzy")
                count += 1
    path.write_bytes(_text(catalog))
    return count


def _text(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=100, include_lineno=False, sort_output=True, omit_header=False)
    # The header's dates change on every run; a catalogue compared with the code must not.
    lines = [
        line
        for line in out.getvalue().split(b"\n")
        if not line.startswith((b'"POT-Creation-Date', b'"PO-Revision-Date'))
    ]
    return b"\n".join(lines)


def _mo_bytes(catalog: Catalog) -> bytes:
    # The .po keeps no dates (see _text), so Babel would stamp "now" into the .mo's header and
    # the same .po would compile to other bytes a minute later: a fixed date keeps it the same.
    catalog.creation_date = catalog.revision_date = FIXED_DATE
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def _read(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def extract() -> None:
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    TEMPLATE.write_bytes(_text(extracted()))


def update() -> None:
    template = _read(TEMPLATE)
    for language in LANGUAGES:
        path = _po(language)
        if path.exists():
            catalog = _read(path, language)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(
                locale=language,
                domain=DOMAIN,
                project="Device Audit",
                fuzzy=False,
                header_comment=f"# Device Audit's words in {language}.",
            )
            # gettext's usual two forms for French (1 and below: singular), not CLDR's three
            # ("many" for millions), so each counted message has one form per English form.
            catalog._num_plurals, catalog._plural_expr = 2, "(n > 1)"
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        catalog.obsolete.clear()
        path.write_bytes(_text(catalog))


def compile_all() -> None:
    for language in LANGUAGES:
        _mo(language).write_bytes(_mo_bytes(_read(_po(language), language)))


def _ids(message: Message) -> list[str]:
    return [message.id] if isinstance(message.id, str) else list(message.id)


def _strings(message: Message) -> list[str]:
    return [message.string] if isinstance(message.string, str) else list(message.string)


def problems(language: str) -> Iterable[str]:
    """What is wrong with one language's catalogue, one line each."""
    catalog = _read(_po(language), language)
    for message in catalog:
        if not message.id:
            continue
        name = repr(_ids(message)[0][:60])
        strings = _strings(message)
        if message.fuzzy or not all(strings):
            yield f"{language}: not translated: {name}"
            continue
        wanted = sorted(PLACEHOLDER.findall(_ids(message)[-1]))
        for string in strings:
            if sorted(set(PLACEHOLDER.findall(string))) != sorted(set(wanted)):
                yield f"{language}: placeholders differ in {name}: {string!r}"
    if _mo(language).read_bytes() != _mo_bytes(catalog):
        yield f"{language}: {_mo(language).name} is older than its .po: run compile"


def check() -> list[str]:
    found: list[str] = []
    if not TEMPLATE.exists() or TEMPLATE.read_bytes() != _text(extracted(found)):
        found.append("the template is behind the code: run extract, update, compile")
    template_ids = {message.id for message in _read(TEMPLATE) if message.id}
    for language in LANGUAGES:
        ids = {message.id for message in _read(_po(language), language) if message.id}
        if ids != template_ids:
            found.append(f"{language}: the .po is behind the template: run update")
        found.extend(problems(language))
    return found


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "extract":
        extract()
    elif command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "all":
        extract()
        update()
        compile_all()
    elif command == "part":
        Path(argv[1]).write_bytes(_text(extracted_files(argv[2:])))
    elif command == "merge":
        print(f"{merge(argv[1:])} translations merged")
    elif command == "check":
        found = check()
        for line in found[:50]:
            print(line)
        if len(found) > 50:
            print(f"... and {len(found) - 50} more")
        return 1 if found else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
