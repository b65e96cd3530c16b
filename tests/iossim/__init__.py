"""A simulated iPhone for the tests: a fake usbmuxd with lockdownd (TLS over a generated pair
record) and installation_proxy behind it, serving JSON profiles from tests/iossim/phones
(schema in profiles.py). See daemon.py for the wire formats and README of the issue 16 work.

Run one by hand: `python -m tests.iossim --profile tiktok-offloaded` prints the address to
put in USBMUXD_SOCKET_ADDRESS.
"""
