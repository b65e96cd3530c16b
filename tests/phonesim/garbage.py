"""Damaged device output, for testing that parsers keep what they can and say what they lost.

Real phones produce such output: an OEM build prints a warning line into `pm list`, a dying
USB link truncates a stream, a vendor app name arrives in an unexpected encoding. Corruption
here is deterministic for a given seed, so a failing test can be replayed.
"""

from __future__ import annotations

import random

from tests.phonesim.shell import Output

_INVALID_UTF8 = (
    b"\xff",
    b"\xfe\xfe",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\x80\x80",
    b"\xf8\x88\x80\x80\x80",
)
_NOISE = (b"\x00", b"\r", b"\x1b[0m", b"\t\t", b"\x7f", b"WARNING: linker: unused DT entry\n")


def corrupt(out: Output, seed: str) -> Output:
    """Truncate, garble and pepper each chunk with invalid UTF-8; the exit status is kept."""
    rng = random.Random(seed)
    damaged = Output(status=out.status)
    for fd, data in out.chunks:
        damaged.chunks.append((fd, corrupt_bytes(data, rng)))
    if not damaged.chunks:
        damaged.chunks.append((1, rng.choice(_INVALID_UTF8) + b"\n"))
    return damaged


def corrupt_bytes(data: bytes, rng: random.Random) -> bytes:
    buffer = bytearray(data)
    for _ in range(max(1, len(buffer) // 400)):
        kind = rng.randrange(3)
        position = rng.randrange(len(buffer) + 1)
        if kind == 0:
            buffer[position:position] = rng.choice(_INVALID_UTF8)
        elif kind == 1:
            buffer[position:position] = rng.choice(_NOISE)
        elif buffer:
            index = min(position, len(buffer) - 1)
            buffer[index] = rng.randrange(256)
    if len(buffer) > 8 and rng.random() < 0.7:
        # Cut the stream somewhere in its last two thirds, often mid-line.
        del buffer[rng.randrange(len(buffer) // 3, len(buffer)) :]
    return bytes(buffer)
