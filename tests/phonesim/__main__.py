"""`python -m tests.phonesim --profile ID [--port N] [--latency-ms X] [--program-ms Y]`: a phone.

Prints the port (and the `adb connect` line) and serves until Ctrl-C; handy for trying the app
by hand and for benches that want a phone in another process.
"""

from __future__ import annotations

import argparse
import sys

from tests.phonesim.daemon import SimulatedPhone, serve_forever
from tests.phonesim.profiles import ProfileError, list_profiles


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.phonesim", description=__doc__)
    parser.add_argument("--profile", default="demo-phone", help="profile id or JSON file")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument(
        "--program-ms", type=float, default=None, help="cost of each program (profile's if unset)"
    )
    parser.add_argument("--drop-after", type=int, default=None)
    parser.add_argument("--drop-once-at", type=int, default=None)
    parser.add_argument("--garbage", action="store_true")
    parser.add_argument("--unauthorized", action="store_true")
    parser.add_argument("--list", action="store_true", help="list the profiles and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(list_profiles()))
        return 0
    try:
        phone = SimulatedPhone(
            args.profile,
            latency_ms=args.latency_ms,
            program_ms=args.program_ms,
            drop_after=args.drop_after,
            drop_once_at=args.drop_once_at,
            garbage=args.garbage,
            unauthorized=args.unauthorized,
            host=args.host,
            port=args.port,
        ).start()
    except ProfileError as error:
        print(error, file=sys.stderr)
        return 2
    print(phone.port, flush=True)
    print(f"adb connect {phone.address}", file=sys.stderr, flush=True)
    serve_forever(phone)
    return 0


if __name__ == "__main__":
    sys.exit(main())
