"""`python -m tests.iossim [--profile ID ...] [--unix PATH]`: serve simulated iPhones.

Prints the address for USBMUXD_SOCKET_ADDRESS and serves until Ctrl-C; handy for trying the
app (or pymobiledevice3, or libimobiledevice's tools) by hand and for benches.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
from pathlib import Path

from tests.iossim.daemon import SimulatedIPhone, SimulatedUsbmuxd
from tests.iossim.profiles import ProfileError, list_profiles


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.iossim", description=__doc__)
    parser.add_argument("--profile", action="append", help="profile id or JSON file")
    parser.add_argument("--unix", type=Path, help="serve on this unix socket, not TCP")
    parser.add_argument("--list", action="store_true", help="list the profiles and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(list_profiles()))
        return 0
    try:
        phones = [SimulatedIPhone(p) for p in args.profile or ["tiktok-installed"]]
    except ProfileError as error:
        print(error, file=sys.stderr)
        return 2
    mux = SimulatedUsbmuxd(*phones, unix_path=args.unix).start()
    print(mux.address, flush=True)
    print(f"export USBMUXD_SOCKET_ADDRESS={mux.address}", file=sys.stderr, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()
    mux.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
