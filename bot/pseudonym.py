"""Keyed pseudonyms: the edge replaces a phone number or Telegram id with one of these.

HMAC-SHA256 under PSEUDONYM_KEY: stable for the same person (so a conversation continues),
impossible to reverse or to recompute from a list of phone numbers without the key.
"""

from __future__ import annotations

import hashlib
import hmac

PSEUDONYM_HEX_CHARS = 32  # 128 bits: no collisions in practice, short enough for ids and logs


def pseudonymise(key: bytes, channel: str, raw_id: str) -> str:
    digest = hmac.new(key, f"{channel}:{raw_id}".encode(), hashlib.sha256).hexdigest()
    return f"{channel}-{digest[:PSEUDONYM_HEX_CHARS]}"
