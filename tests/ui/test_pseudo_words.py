"""The banner, the device list, the details pane and the reasons a button is greyed out, in the
pseudo-language (issue 17): nothing a person reads there bypasses the catalogue.

The pseudo-language wraps every catalogue string in ⟦ ⟧, placeholders and all, so once every
wrapped part of a text is taken away nothing readable may be left, but what a device or a policy
file said (a name, the policy's title), which is never translated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import date

import pytest

from audit.errors import DeviceGone
from audit.i18n import ENGLISH, PSEUDO, set_language
from audit.model import AppState, DeviceKind, DeviceState, DeviceStatus, Exemption, FindingStatus
from audit.policy import evaluate, load_policy
from tests.ui.samples import DAY, app, phone_scan
from ui.availability import ActionFacts, attest_availability, remove_availability
from ui.banner import banner_view, no_phone_view
from ui.details import details_view
from ui.device_list import DeviceEntry, ScanPhase, this_computer
from ui.errors import describe

NZ = "nz-parliament-2023"
_WRAPPED = re.compile(r"⟦[^⟦⟧]*⟧")


@pytest.fixture(autouse=True)
def pseudo() -> Iterator[None]:
    set_language(PSEUDO)
    yield
    set_language(ENGLISH)


def outside_catalogue(texts: Iterable[str], data: Iterable[str] = ()) -> list[str]:
    """The texts with something readable left once the catalogue's parts and `data` (what
    a device or a file said) are taken away."""
    left = []
    for text in texts:
        rest = text
        for value in data:
            rest = rest.replace(value, "")
        while _WRAPPED.search(rest):  # inner first: a message inside another one's placeholder
            rest = _WRAPPED.sub("", rest)
        if any(c.isalpha() for c in rest):
            left.append(text)
    return left


def entry(**changes: object) -> DeviceEntry:
    base = DeviceEntry(id="R58", name="Galaxy", kind=DeviceKind.ANDROID, phase=ScanPhase.SCANNED)
    return replace(base, **changes)  # type: ignore[arg-type]


def exemption() -> Exemption:
    return Exemption(
        id="EX-1",
        reason="Runs the account",
        approver="J. Smith",
        approver_role="Security Officer",
        granted=date(2023, 3, 1),
        expires=date(2023, 12, 31),
        mitigations=("a separate phone",),
    )


def test_the_banner_in_every_state_reads_from_the_catalogue() -> None:
    policy = load_policy(NZ)
    scan = phone_scan()
    views = [
        banner_view(None, policy, None),
        banner_view(entry(phase=ScanPhase.NOT_SCANNED), policy, None),
        banner_view(entry(phase=ScanPhase.SCANNING), policy, None),
        banner_view(entry(state=DeviceState.UNAUTHORIZED), policy, None),
        banner_view(entry(state=DeviceState.GONE, phase=ScanPhase.NOT_SCANNED), policy, None),
        banner_view(entry(phase=ScanPhase.FAILED), policy, None, DeviceGone("R58", "Gone.")),
        banner_view(entry(), None, None, app_count=6),
        banner_view(entry(), None, None, app_count=1),
        no_phone_view(policy),
        no_phone_view(None),
    ]
    for day, exempt, complete in [
        (DAY, False, True),
        (date(2023, 4, 3), False, True),
        (DAY, True, True),
        (DAY, False, False),
    ]:
        assessment = evaluate(
            phone_scan(complete=complete), policy, (exemption(),) if exempt else (), day=day
        )
        views.append(banner_view(entry(), policy, assessment, unsigned=True))
        gone = entry(state=DeviceState.GONE)
        views.append(banner_view(gone, policy, evaluate(scan, policy, day=day)))
    texts = [t for v in views for t in (v.status, v.sentence, v.policy) if t]
    # the failed check's words are the error's own ("Gone." here), from the core
    assert outside_catalogue(texts, data=[policy.title, "Gone."]) == []


def test_the_device_list_says_every_state_and_status_through_the_catalogue() -> None:
    entries = [this_computer(), entry(simulated=True), entry(unsigned=True)]
    entries += [entry(state=state) for state in DeviceState]
    entries += [entry(state=DeviceState.UNAUTHORIZED, kind=DeviceKind.IOS)]
    entries += [entry(phase=phase) for phase in ScanPhase]
    entries += [entry(status=status) for status in DeviceStatus]
    texts = [t for e in entries for t in (e.title, e.badge, e.advice) if t]
    assert outside_catalogue(texts, data=["Galaxy"]) == []


@pytest.mark.parametrize("kind", [DeviceKind.ANDROID, DeviceKind.IOS, DeviceKind.COMPUTER])
def test_the_details_of_every_kind_of_finding_read_from_the_catalogue(kind: DeviceKind) -> None:
    policy = load_policy(NZ)
    hidden = app("com.ss.android.ugc.trill", "TikTok Lite", state=AppState.HIDDEN, system=True)
    scan = phone_scan(hidden)
    scan = replace(scan, device=replace(scan.device, kind=kind))
    assessments = [
        evaluate(scan, policy, day=DAY),
        evaluate(scan, policy, (exemption(),), day=DAY),
        evaluate(scan, policy, day=date(2023, 4, 3)),
    ]
    texts: list[str] = []
    data = {policy.title, policy.authority, policy.instrument, policy.scope, policy.consequence}
    data |= {policy.exception_route, "a separate phone", "Runs the account", "J. Smith"}
    for assessment in assessments:
        for finding in assessment.findings:
            data |= {
                finding.app.name,
                finding.app.identifier,
                finding.rule.title,
                finding.app.version,
            }
            data |= {finding.matcher.pattern, finding.matcher.app, finding.rule.description}
            view = details_view(finding.app, finding, scan, assessment, policy)
            texts += [s.heading for s in view.sections]
            texts += [line for s in view.sections for line in s.lines]
        assert {f.status for f in assessment.findings} & {
            FindingStatus.VIOLATION,
            FindingStatus.EXCEPTED,
        }
    whatsapp = next(a for a in scan.apps if a.identifier == "com.whatsapp")
    for view in (
        details_view(None, None, None, None, None),
        details_view(whatsapp, None, scan, assessments[0], policy),
        details_view(whatsapp, None, scan, None, None),
    ):
        texts += [s.heading for s in view.sections] + [x for s in view.sections for x in s.lines]
    data.discard("")
    # the policy's own title line and what the catalog and the policy file say are data
    texts = [t for t in texts if t and t != policy.title and t not in data]
    assert outside_catalogue(texts, data=sorted(data, key=len, reverse=True)) == []


def test_why_remove_and_attest_are_greyed_out_reads_from_the_catalogue() -> None:
    base = ActionFacts(
        is_phone=True,
        state=DeviceState.READY,
        policy_chosen=True,
        scanning=False,
        scanned=True,
        complete=True,
        status=DeviceStatus.NON_COMPLIANT,
        violations=2,
    )
    facts = [
        base,
        replace(base, violations=1),
        replace(base, violations=0, status=DeviceStatus.COMPLIANT),
        replace(base, violations=0, unsigned=True),
        replace(base, unsigned=True),
        replace(base, wizard_open=True),
        replace(base, policy_chosen=False),
        replace(base, state=DeviceState.GONE),
        replace(base, state=DeviceState.OFFLINE),
        replace(base, scanning=True),
        replace(base, scanned=False),
        replace(base, complete=False),
    ]
    texts = [f(x).why for x in facts for f in (remove_availability, attest_availability)]
    assert outside_catalogue(texts) == []


def test_an_unexpected_error_and_a_file_error_read_from_the_catalogue() -> None:
    for error in (RuntimeError("boom"), FileNotFoundError(2, "No such file", "/tmp/x.json")):
        message = describe(error)
        texts = [message.title, message.text, message.next_step, message.as_text()]
        assert outside_catalogue(texts, data=["No such file", "/tmp/x.json"]) == []
