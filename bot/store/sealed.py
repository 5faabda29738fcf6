"""Addresses at rest: the inbox and outbox keep a person's phone number or chat id encrypted.

Why: a message waiting to be answered, or an answer waiting to be sent, needs the raw address
(issue 16, "Encryption where an address must be kept"). Everywhere else the person is a
pseudonym. So the `address` columns of `inbox` and `outbox` hold a Fernet token under the same
keys as the addresses kept with handoff cases (`HANDOFF_ADDRESS_KEYS`, bot/handoff/addresses.py,
which also says how to rotate them): a database dump, a backup or a SQL console shows no phone
number without a key held outside the database. Rows that must be found by person (the
per-person order of held messages, an erasure) are found by `person`, the person's pseudonym,
which cannot be turned back into the number.

The column type encrypts and decrypts by itself (SQLAlchemy's TypeDecorator, the pattern of
sqlalchemy-utils' EncryptedType), with the keys every process sets once at start through
`configure` (bot/web/services.py, bot/cli.py). A process that never configured keys cannot
store an address at all: it fails loudly instead of writing a plain number.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Dialect, Text
from sqlalchemy.types import TypeDecorator

from bot.address_keys import AddressKeyError, decrypt, encrypt
from bot.pseudonym import pseudonymise


class _Keys:
    fernet: list[bytes] = []
    pseudonym: bytes | None = None


def configure(address_keys: Sequence[bytes], pseudonym_key: bytes) -> None:
    """The keys of this process: Fernet keys (the first encrypts) and the pseudonym key."""
    _Keys.fernet = list(address_keys)
    _Keys.pseudonym = pseudonym_key


def _fernet_keys() -> list[bytes]:
    if not _Keys.fernet:
        raise AddressKeyError("no address key configured in this process (sealed.configure)")
    return _Keys.fernet


def person(channel: str, address: str) -> str:
    """The pseudonym of the person at `address`: how their rows are found."""
    if _Keys.pseudonym is None:
        raise AddressKeyError("no pseudonym key configured in this process (sealed.configure)")
    return pseudonymise(_Keys.pseudonym, channel, address)


class SealedAddress(TypeDecorator[str]):
    """A text column stored as a Fernet token, read back as the plain address."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else encrypt(value, _fernet_keys())

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else decrypt(value, _fernet_keys())
