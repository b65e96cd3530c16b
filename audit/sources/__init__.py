"""Inventory sources: each one reads a device and returns data; none decides compliance."""
