"""argparse's own words ("usage:", "the following arguments are required") in the catalogue.

argparse writes the help's headings and its usage errors with the standard library's gettext
(domain "messages"), which knows none of our languages; `install()` points argparse's two
translation functions at ours, so `device-audit --language fr scan --bogus` says its error in
French like the rest. The messages are marked below so that they are extracted into our
catalogue; they are argparse's exact texts (Python 3.11 to 3.13), and a text a newer Python adds
is shown in English, never lost.
"""

from __future__ import annotations

import argparse

from audit.i18n import N_, _, ngettext

# Translators: argparse's messages: keep %s, %r and %(name)s placeholders exactly.
MESSAGES = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("unrecognized arguments: %s"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("can't open '%(filename)s': %(error)s"),
)


def _counted() -> None:
    """argparse's one counted message, marked for the catalogue (never called)."""
    ngettext("expected %s argument", "expected %s arguments", 1)


def install() -> None:
    """argparse's words from our catalogue, in the language in use when each is written."""
    argparse._ = _  # type: ignore[attr-defined]
    argparse.ngettext = ngettext  # type: ignore[attr-defined]
