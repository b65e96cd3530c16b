"""Device Audit's core: inventory, policy, remediation and attestation, without any Qt.

Nothing under this package may import PySide6; tests/test_boundary.py enforces it.
"""

__version__ = "0.1.0"
