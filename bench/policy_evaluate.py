"""How long policy evaluation takes on a large inventory, against a naive baseline.

Run: python bench/policy_evaluate.py [APPS]

Builds a synthetic 10,000-app inventory (a realistic mix: Android packages, Windows Uninstall
entries with names and publishers, Linux .desktop launchers, web apps with domains, a few banned
apps and running processes) and judges it against the largest preset (us-federal-2023).
The baseline, measured in the same run, is the obvious implementation: every app tried against
every matcher of every rule, with each glob precompiled once.
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from datetime import UTC, date, datetime

from audit.model import (
    AppId,
    Device,
    DeviceKind,
    IdentifierKind,
    InstalledApp,
    MatchKind,
    Policy,
    RunningProcess,
    ScanResult,
    SourceReport,
    SourceStatus,
)
from audit.policy import evaluate, load_policy
from audit.policy.matching import (
    _compile_cached,
    compile_policy,
    glob_regex,
    normalise_id,
    normalise_text,
)


def inventory(count: int) -> ScanResult:
    apps: list[InstalledApp] = []
    kinds = [IdentifierKind.ANDROID_PACKAGE, IdentifierKind.ARP_KEY, IdentifierKind.DESKTOP]
    for i in range(count):
        kind = kinds[i % 3]
        other = (AppId(IdentifierKind.DOMAIN, f"site{i}.example.com"),) if i % 50 == 0 else ()
        apps.append(
            InstalledApp(
                identifier=f"com.vendor{i % 97}.app{i}" if kind is kinds[0] else f"App {i}",
                kind=kind,
                name=f"Application number {i}",
                publisher=f"Vendor {i % 97} Ltd" if kind is kinds[1] else "",
                user=str(i % 2 * 10),
                other_ids=other,
            )
        )
    apps += [
        InstalledApp("com.zhiliaoapp.musically", IdentifierKind.ANDROID_PACKAGE, "TikTok"),
        InstalledApp("ByteDance.CapCut", IdentifierKind.WINGET_ID, "CapCut"),
        InstalledApp("com.ss.android.unknown", IdentifierKind.ANDROID_PACKAGE, "Something"),
    ]
    processes = tuple(RunningProcess(p, f"proc{p}", f"/usr/bin/proc{p}") for p in range(300))
    t0 = datetime(2023, 3, 20, tzinfo=UTC)
    return ScanResult(
        device=Device("local:bench", DeviceKind.COMPUTER, "bench", os_name="Linux"),
        started_at=t0,
        finished_at=t0,
        apps=tuple(apps),
        processes=processes,
        sources=(SourceReport("bench", SourceStatus.OK, count=len(apps)),),
    )


def naive(scan: ScanResult, policy: Policy) -> int:
    """Every app against every matcher: what evaluation would cost without the lookups."""
    tests = []
    for rule in policy.rules:
        for m in rule.matchers:
            if m.kind is MatchKind.IDENTIFIER and m.id_kind is not None:
                value = normalise_id(m.id_kind, m.pattern)
                tests.append((m, re.compile(glob_regex(value), re.DOTALL)))
            elif m.kind in (MatchKind.NAME, MatchKind.PUBLISHER):
                tests.append((m, re.compile(glob_regex(normalise_text(m.pattern)), re.DOTALL)))
    hits = 0
    for app in scan.apps:
        name = normalise_text(app.name)
        publisher = normalise_text(app.publisher)
        for matcher, regex in tests:
            if matcher.kind is MatchKind.IDENTIFIER:
                for app_id in app.all_ids:
                    if app_id.kind is matcher.id_kind and regex.fullmatch(
                        normalise_id(app_id.kind, app_id.value)
                    ):
                        hits += 1
            elif matcher.kind is MatchKind.NAME:
                hits += bool(name and regex.fullmatch(name))
            elif publisher and regex.fullmatch(publisher):
                hits += 1
    return hits


def timed(fn: object, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    policy = load_policy("us-federal-2023")
    scan = inventory(count)
    matchers = sum(len(r.matchers) for r in policy.rules)

    start = time.perf_counter()
    _compile_cached.cache_clear()
    compile_policy(policy)
    compile_ms = (time.perf_counter() - start) * 1000

    day = date(2023, 3, 20)
    ours = timed(lambda: evaluate(scan, policy, day=day), 7)
    base = timed(lambda: naive(scan, policy), 3)
    result = evaluate(scan, policy, day=day)

    print(f"inventory: {len(scan.apps)} apps, {len(scan.processes)} processes")
    print(f"policy: {policy.id}, {len(policy.rules)} rules, {matchers} matchers")
    print(
        f"findings: {len(result.findings)} ({', '.join(sorted(f.status for f in result.findings))})"
    )
    print(f"compile policy (once, cached): {compile_ms:8.2f} ms")
    print(f"evaluate (median of 7):        {statistics.median(ours) * 1000:8.2f} ms")
    print(f"baseline naive (median of 3):  {statistics.median(base) * 1000:8.2f} ms")
    print(f"speed-up: {statistics.median(base) / statistics.median(ours):.1f}x")


if __name__ == "__main__":
    main()
