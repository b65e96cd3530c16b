"""Data files: policy presets, the identifier catalog, phone profiles and user guides.

A package only so that installers copy it beside `audit`; it holds no code.
"""
