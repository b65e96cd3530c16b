"""The audit history (SQLite): every scan, finding, action, exemption and receipt, kept safe.

What the GUI and the CLI use:

    store = Store()                                   # the user's data folder, or Store(path)
    audit_id = store.begin_audit(device, policy, person_name=..., staff_id=...)
    store.record_assessment(audit_id, assessment); store.record_actions(audit_id, results)
    store.record_receipt(audit_id, envelope)
    store.history(HistoryFilter(search="aroha", statuses=frozenset({DeviceStatus.OVERDUE})))
    store.audit_details(audit_id)                     # findings, actions, receipts re-verified
    store.dashboard("nz-parliament-2023", date.today())
    store.standing("nz-parliament-2023", DeviceStatus.OVERDUE)   # who is behind a count
    store.import_folder(folder, accept_new_keys={"PS-1042"})
    write_csv(store.export_rows(policy_id=...), out) / write_json(...) / export_receipts(...)
"""

from audit.store.export import export_receipts, write_csv, write_json
from audit.store.records import (
    AuditDetails,
    AuditSummary,
    DashboardCounts,
    DayCounts,
    ExportRow,
    FileOutcome,
    FindingRecord,
    HistoryFilter,
    ImportReport,
    ImportResult,
    KeyNote,
    Origin,
    PolicySummary,
    ReceiptRecord,
    ScanRecord,
    StatusCounts,
    TrustedKey,
)
from audit.store.status import status_on
from audit.store.store import DEMO_NOT_RECORDED, FILE_NAME, Store, default_path

__all__ = [
    "DEMO_NOT_RECORDED",
    "FILE_NAME",
    "AuditDetails",
    "AuditSummary",
    "DashboardCounts",
    "DayCounts",
    "ExportRow",
    "FileOutcome",
    "FindingRecord",
    "HistoryFilter",
    "ImportReport",
    "ImportResult",
    "KeyNote",
    "Origin",
    "PolicySummary",
    "ReceiptRecord",
    "ScanRecord",
    "StatusCounts",
    "Store",
    "TrustedKey",
    "default_path",
    "export_receipts",
    "status_on",
    "write_csv",
    "write_json",
]
