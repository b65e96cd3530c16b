"""Policies: the file format, loading and validation, the identifier catalog, evaluation.

The formats are documented in docs/policy-format.md. Everything a caller needs is here:

    policy = load_policy("nz-parliament-2023")          # or a path to an organisation's file
    exemptions = load_exemptions("exemptions.toml")
    assessment = evaluate(scan, policy, exemptions, day=date.today(), person="s1234")
"""

from audit.policy.catalog import Catalog, CatalogEntry, CatalogGroup, default_catalog, load_catalog
from audit.policy.evaluate import device_status, evaluate
from audit.policy.exemptions import load_exemptions, loads_exemptions
from audit.policy.loader import (
    list_presets,
    load_policy,
    load_policy_file,
    loads_policy,
    policy_digest,
    preset_ids,
)
from audit.policy.report import (
    assessment_to_dict,
    day_words,
    deadline_sentence,
    deadline_words,
    finding_reason,
    policy_state_words,
    rule_dates_sentence,
    status_text,
    verified_words,
)

__all__ = [
    "Catalog",
    "CatalogEntry",
    "CatalogGroup",
    "assessment_to_dict",
    "day_words",
    "deadline_sentence",
    "deadline_words",
    "default_catalog",
    "device_status",
    "evaluate",
    "finding_reason",
    "list_presets",
    "load_catalog",
    "load_exemptions",
    "load_policy",
    "load_policy_file",
    "loads_exemptions",
    "loads_policy",
    "policy_digest",
    "policy_state_words",
    "preset_ids",
    "rule_dates_sentence",
    "status_text",
    "verified_words",
]
