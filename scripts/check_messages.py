"""Fail when the Simplified Chinese catalogue lacks a translation the source asks for.

Runs Django's ``makemessages -l zh_Hans --ignore=tests`` (as ``make messages`` does) on a
temporary copy of ``src/omnioms``, so the committed ``django.po`` and ``django.mo`` are never
touched, then lists every msgid that is untranslated or fuzzy (a guess msgmerge made, which
compilemessages leaves out) in the result. Exit status 1 when there is any, 0 otherwise.

    python scripts/check_messages.py
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "omnioms"
LOCALE = "zh_Hans"
CATALOGUE = Path("locale") / LOCALE / "LC_MESSAGES" / "django.po"
# What makemessages reads for the django domain, and the catalogue it merges into.
WANTED = {".py", ".html", ".txt", ".po"}


def _copy_ignore(directory: str, names: list[str]) -> set[str]:
    return {
        name
        for name in names
        if name in {"tests", "__pycache__", "static", "node_modules"}
        or (Path(directory, name).is_file() and Path(name).suffix not in WANTED)
    }


def _problems(po_path: Path) -> list[str]:
    from babel.messages.pofile import read_po

    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            why = "fuzzy"
        elif not all(strings):
            why = "untranslated"
        else:
            continue
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        where = " ".join(f"{file}:{line}" for file, line in message.locations) or "-"
        problems.append(f"{where}: {why}: {msgid!r}")
    return problems


def main() -> int:
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnioms.settings.base")
    import django
    from django.core.management import call_command
    from django.test.utils import override_settings

    django.setup()
    with tempfile.TemporaryDirectory(prefix="omnioms-messages-") as tmp:
        copy = Path(tmp) / "omnioms"
        shutil.copytree(PACKAGE, copy, ignore=_copy_ignore)
        here = Path.cwd()
        os.chdir(copy)
        try:
            # Only the copy's locale directory: LOCALE_PATHS names the committed one.
            with override_settings(LOCALE_PATHS=[]):
                call_command(
                    "makemessages", locale=[LOCALE], ignore_patterns=["tests"], verbosity=0
                )
        finally:
            os.chdir(here)
        problems = _problems(copy / CATALOGUE)
    if problems:
        print(
            f"{len(problems)} message(s) lack a {LOCALE} translation in "
            f"src/omnioms/{CATALOGUE.as_posix()}:"
        )
        for line in problems:
            print(f"  {line}")
        return 1
    print(f"messages: every msgid has a {LOCALE} translation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
