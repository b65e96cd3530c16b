"""Make receipts for the packaged app's smoke test of a team history (packaging/smoke.sh).

The smoke test imports them with the built bundle into a private PostgreSQL server, then reads
them back with another login, so it sees the bundle's psycopg and libpq store and read an audit.
The sample receipt the bundle ships cannot serve: the import refuses it by its published key.
These are signed by a key made at run time and thrown away, for a made-up person ("SMOKE TEST"),
from the test suite's example phone (tests/audit/attestation/builders.py): they prove nothing
about any device, and never leave the smoke test's temporary folder. Needs this checkout and
a Python with the app's packages (the build's or the test venv):

    build/package-venv/bin/python packaging/make_smoke_receipts.py FOLDER
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audit.attestation import Signer, verify_file, write_receipt  # noqa: E402
from tests.audit.store import factory  # noqa: E402

PEOPLE = (
    (factory.Person("SMOKE TEST one (not a real person)", "SMOKE-0001"), "SMOKE0001"),
    (factory.Person("SMOKE TEST two (not a real person)", "SMOKE-0002"), "SMOKE0002"),
)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    folder = Path(argv[0])
    folder.mkdir(parents=True, exist_ok=True)
    # Yesterday at noon (UTC): a receipt judges the day it was signed, and none is signed later
    # than now, whatever the hour and the time zone of the run.
    day = (datetime.now(UTC) - timedelta(days=1)).date()
    for person, serial in PEOPLE:
        signer = Signer.generate()  # one throwaway key per person, never kept
        envelope = factory.receipt(
            signer, factory.phone(serial), person, factory.Outcome.CLEAN, day=day
        )
        target = folder / f"{person.staff_id}.json"
        write_receipt(envelope, target)
        print(f"{target}: {verify_file(target).status}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
