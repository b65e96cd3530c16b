"""Policies: the file format, loading and validation, the identifier catalog, evaluation."""
