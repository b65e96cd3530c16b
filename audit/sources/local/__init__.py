"""This computer: one collector per inventory source (package managers, registries, bundles)."""
