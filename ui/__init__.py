"""The desktop app (PySide6). Calls the public functions of `audit`; owns no business rules."""
