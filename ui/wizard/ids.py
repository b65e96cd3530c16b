"""The wizard's page ids, in the order a person meets them."""

from __future__ import annotations

from enum import IntEnum


class Pages(IntEnum):
    REVIEW = 0
    REMOVE = 100  # the first banned app's page; the n-th app's page is REMOVE + n
    VERIFY = 1
    EXEMPTIONS = 2
    USB_DEBUGGING = 3
    ATTEST = 4
    RECEIPT = 5
