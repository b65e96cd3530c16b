"""This computer: one collector per inventory source (package managers, registries, bundles).

`scan_local()` is the entry point; `LocalRoots` says where the collectors look (the real
computer by default, a fixture tree in tests). See docs/local-sources.md for what each
collector reads on each operating system.
"""

from audit.sources.local.base import CollectorAbsent, CollectorOutput, LocalRoots
from audit.sources.local.scan import collectors_for, default_roots, scan_local

__all__ = [
    "CollectorAbsent",
    "CollectorOutput",
    "LocalRoots",
    "collectors_for",
    "default_roots",
    "scan_local",
]
