"""Import refuses every receipt signed by the published sample key (its seed is in the
repository), with that reason, and still imports the genuine receipts of the same folder."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from audit.attestation import Signer, write_receipt
from audit.attestation.verify import SAMPLE_REASON
from audit.store import ImportResult, Store
from tests.audit.attestation.test_sample_key import SHIPPED, sample_signer
from tests.audit.store import factory as f


def test_import_refuses_the_sample_and_a_re_signed_copy_and_keeps_the_genuine(
    store: Store, signer: Signer, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SHIPPED, folder / "a-shipped-sample.json")
    day = date.today()
    forged = f.receipt(sample_signer(), f.phone("R58M0001"), f.BEN, f.Outcome.CLEAN, day=day)
    write_receipt(forged, folder / "b-forged.json")
    genuine = f.receipt(signer, f.phone("R58M0002"), f.AROHA, f.Outcome.CLEAN, day=day)
    write_receipt(genuine, folder / "c-genuine.json")

    report = store.import_folder(folder)

    got = {o.path.name: (o.result, o.reason) for o in report.outcomes}
    assert got["a-shipped-sample.json"] == (ImportResult.REFUSED, SAMPLE_REASON)
    assert got["b-forged.json"] == (ImportResult.REFUSED, SAMPLE_REASON)
    assert got["c-genuine.json"][0] is ImportResult.IMPORTED
    staff = {a.staff_id for a in store.history()}
    assert staff == {f.AROHA.staff_id}  # no row for the sample's person, nor for Ben
