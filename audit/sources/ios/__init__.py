"""iPhones and iPads over USB: usbmuxd, lockdownd (TLS over the pair record) and
installation_proxy, spoken by a small client of the project's own.

Why not pymobiledevice3, the maintained Python client for this field? Measured on this machine
on 7 December 2026 (bench/ios_scan.py prints the figures side by side in one run, against the
same simulated iPhone): it adds 81 packages (238 MB on disk) that the app does not otherwise
need (FastAPI, IPython, a TCP/IP stack, disk-image parsers...), against none for this client;
importing it takes seconds where this client takes well under one; it is GPL-3.0-or-later
where this app is MIT; and its API is asyncio where the core is plain blocking calls run in one
background helper. What an audit needs is small: usbmuxd's plist messages, lockdown's
length-prefixed plists with TLS after StartSession, pairing, and installation_proxy's Browse
and Uninstall, about 850 lines here (wire, usbmux, lockdown, pairing, apps) on the standard
library's `ssl`, `socket` and `plistlib` and on `cryptography`, which the app already has, as
the project owns its adb client for measured reasons. A scan costs about the same either way
(one session and one Browse; the phone's answer dominates); this client also turns every entry
into an InstalledApp and reads iTunesMetadata for the App Store id, which the baseline does
not. pymobiledevice3 stays the reference: the tests run it against the same simulated iPhone
(tests/iossim), so the simulator is held to a real client, not to this one.

The modules: `wire` (sockets, framing, where usbmuxd is), `usbmux` (devices, pair records,
Connect), `lockdown` (values, session with TLS, starting a service), `apps` (installation_proxy
and what an app entry becomes), `scan` (one iPhone's inventory), `devices` (every iPhone
plugged in and what each needs), `guidance` (the words).
"""
