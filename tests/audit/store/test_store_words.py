"""The history's words in the reader's language, its stored notes in one language (issue 17).

What a person reads (errors, the re-judgement's report, an import's reasons, the workflow's
notices) is translated; what the history stores and the export carries (the trust notes of
holds and re-judged rows) is not: a hold is found again by how its note starts, so a note
written while someone read French must still be taken back when the helpdesk decides in
English. Run in the pseudo-language, which shows at a glance what went through the catalogue.
Real SQLite histories, real receipts, real worker processes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from audit.i18n import ENGLISH, PSEUDO, language, set_language
from audit.model import DeviceStatus
from audit.store import HistoryFilter, Origin, Store
from audit.store.holds import EXEMPTION_NOTE
from audit.store.intake import left_out_reason, worker_pool
from audit.store.rejudge import REJUDGED_WORDS, report_lines
from audit.words import status_in_sentence
from audit.workflow.history import exemption_notice
from tests.audit.store import factory as f
from tests.audit.store import rejudging as r

KIM = f.Person("Kim Exempt", "PS-5100")
MARK = "⟦"  # how the pseudo-language opens every translated string


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    yield
    set_language(ENGLISH)


@pytest.mark.parametrize(("held_in", "decided_in"), [(PSEUDO, ENGLISH), (ENGLISH, PSEUDO)])
def test_a_hold_written_in_one_language_is_released_by_a_decision_in_another(
    tmp_path: Path, held_in: str, decided_in: str
) -> None:
    day = date.today()
    phone = f.phone("WORDS1")
    before, after, actions = f.audit_inputs(phone, KIM, f.Outcome.EXCEPTED, day=day)
    set_language(held_in)
    with Store(tmp_path / "h.sqlite3") as store:
        audit_id = store.record_audit([before, after], actions, staff_id=KIM.staff_id)
        held = store.audit(audit_id)
        assert held.status is DeviceStatus.NON_COMPLIANT
        assert held.trust_note.startswith(EXEMPTION_NOTE) and MARK not in held.trust_note
        notice = exemption_notice(store, audit_id, "kim.toml")
        assert notice is not None
        assert (MARK in notice.text) is (held_in == PSEUDO)  # what the person reads: theirs
        set_language(decided_in)
        [granted] = after.exemptions
        store.accept_exemptions(f.exemptions_file(tmp_path / "kim.toml", granted), by="Kim")
        released = store.audit(audit_id)
        assert released.status is DeviceStatus.COMPLIANT_WITH_EXCEPTIONS
        assert EXEMPTION_NOTE not in released.trust_note and MARK not in released.trust_note


def test_the_re_judgement_report_is_translated_and_the_derived_row_is_stored_in_english(
    store: Store, tmp_path: Path
) -> None:
    v1, second = r.accept_v1(store, tmp_path / "policies")
    r.record(store, v1, f.AROHA, f.phone("P1"), (r.capcut(), *r.everyday_apps(2)))
    r.record(store, v1, f.BEN, f.phone("P2"), r.everyday_apps(2))
    store.accept_policy(second, by="Lead")
    set_language(PSEUDO)
    report, _ = store.rejudge(r.POLICY_ID, today=r.LATER)
    lines = report_lines(report)
    assert len(report.changed) == 1 and len(report.unchanged) == 1
    untranslated = [line for line in lines if MARK not in line]
    assert untranslated == []
    [derived] = [a for a in store.history(HistoryFilter(limit=None)) if a.origin is Origin.REJUDGED]
    assert derived.trust_note.startswith(REJUDGED_WORDS) and MARK not in derived.trust_note
    assert "compliant under version 1, not compliant under version 2: CapCut" in (
        derived.trust_note
    )


def test_a_status_in_a_sentence_is_translated_unless_it_is_stored() -> None:
    set_language(PSEUDO)
    for status in DeviceStatus:
        assert status_in_sentence(status).startswith(MARK)
        stored = status_in_sentence(status, translated=False)
        assert MARK not in stored and stored == stored.lower()
    set_language(ENGLISH)
    assert status_in_sentence(DeviceStatus.OVERDUE) == "not compliant, past the deadline"


def test_the_import_s_worker_processes_write_in_the_language_the_person_chose(
    tmp_path: Path,
) -> None:
    """A spawned worker starts afresh: without being told, it would take the system's language
    (here the environment's English), not the one chosen in the app."""
    hidden = tmp_path / ".hidden.json"
    hidden.write_text("{}")
    set_language(PSEUDO)
    with worker_pool(1) as pool:
        assert pool.submit(language).result(timeout=120) == PSEUDO
        reason = pool.submit(left_out_reason, hidden).result(timeout=120)
    assert reason.startswith(MARK) and "hidden file" not in reason  # accented: "híddéñ"
    set_language(ENGLISH)
    assert left_out_reason(hidden).startswith("a hidden file")


def test_an_error_s_next_step_is_translated_when_it_is_raised_not_when_imported(
    tmp_path: Path,
) -> None:
    """The next steps that were default arguments (evaluated once, at import) are looked up
    when the error is raised, so they follow a language chosen after start-up."""
    from audit.errors import StoreError

    with Store(tmp_path / "h.sqlite3") as store:
        set_language(PSEUDO)
        with pytest.raises(StoreError) as raised:
            store.revoke_technician("ab" * 32, by="Lead")
    assert raised.value.message.startswith(MARK) and raised.value.next_step.startswith(MARK)
