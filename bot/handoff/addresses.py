"""The raw address of a person in a case (phone number, Telegram chat id), encrypted.

Why: everywhere else the person is a pseudonym, but a worker's answer must reach the person
days later, so the case keeps the address. It is kept only while the case is open and only
as a Fernet token (AES-128-CBC + HMAC-SHA256, https://cryptography.io/en/latest/fernet/): a
database dump, a backup or a SQL console shows no phone number without a key held outside
the database (`HANDOFF_ADDRESS_KEYS`).

Keys are a list, used through `MultiFernet`: the first key encrypts, every key decrypts.

Rotating a key (a key leaked, or a yearly change):
1. Generate a new key: `python -c "from cryptography.fernet import Fernet;
   print(Fernet.generate_key().decode())"`.
2. Put it FIRST in `HANDOFF_ADDRESS_KEYS`, keeping the old ones after it
   (`HANDOFF_ADDRESS_KEYS=new,old`), and restart every gateway: new cases use the new key,
   open cases stay readable.
3. Re-encrypt what is stored under the new key: `rotate_all(session, keys)`
   (MultiFernet.rotate, one transaction).
4. Remove the old key from the list. Cases close within days, so simply waiting until every
   case opened under the old key has closed also works.

In development, without the variable, one key is generated into a file (mode 0600) so that
`make demo` needs no setup; in production a missing variable stops the gateway, because a
generated key would be lost with the container and every open case with it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.handoff.models import Case, CaseAddress

ENV_VAR = "HANDOFF_ADDRESS_KEYS"


class AddressKeyError(RuntimeError):
    """No usable key: missing in production, or not a Fernet key."""


class AddressUnreadable(RuntimeError):
    """The stored token was made with a key that is no longer configured (or was altered)."""


def generate_key() -> bytes:
    return Fernet.generate_key()


def _fernet(keys: Sequence[bytes]) -> MultiFernet:
    if not keys:
        raise AddressKeyError(f"no key: set {ENV_VAR}")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as error:  # not 32 url-safe base64-encoded bytes
        raise AddressKeyError(f"{ENV_VAR} holds a value that is not a Fernet key") from error


def encrypt(address: str, keys: Sequence[bytes]) -> str:
    """The address as a token under the first key."""
    return _fernet(keys).encrypt(address.encode()).decode("ascii")


def decrypt(token: str, keys: Sequence[bytes]) -> str:
    """The address back, with whichever of the keys made the token."""
    try:
        return _fernet(keys).decrypt(token.encode("ascii")).decode()
    except InvalidToken:
        raise AddressUnreadable("no configured key opens this address") from None


def rotate(token: str, keys: Sequence[bytes]) -> str:
    """The same address re-encrypted under the first key."""
    try:
        return _fernet(keys).rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise AddressUnreadable("no configured key opens this address") from None


def rotate_all(session: Session, keys: Sequence[bytes]) -> int:
    """Re-encrypt every stored address under the first key; returns how many."""
    rows = list(session.scalars(select(CaseAddress)))
    for row in rows:
        row.token = rotate(row.token, keys)
    return len(rows)


def store(session: Session, case: Case, address: str, keys: Sequence[bytes]) -> CaseAddress:
    """Keep (or replace) the encrypted address of an open case."""
    row = session.get(CaseAddress, case.id)
    token = encrypt(address, keys)
    if row is None:
        row = CaseAddress(case_id=case.id, channel=case.channel, token=token)
        session.add(row)
    else:
        row.channel, row.token = case.channel, token
    return row


def address_of(session: Session, case: Case, keys: Sequence[bytes]) -> str | None:
    """The decrypted address of a case, or None once it is closed (the address is gone)."""
    row = session.get(CaseAddress, case.id)
    return None if row is None else decrypt(row.token, keys)


def forget(session: Session, case: Case) -> None:
    """Delete a case's address (on closing): nothing is left to decrypt."""
    row = session.get(CaseAddress, case.id)
    if row is not None:
        session.delete(row)
        session.flush()


def _parse_keys(value: str) -> list[bytes]:
    return [part.strip().encode("ascii") for part in value.split(",") if part.strip()]


def keys_from_env(environ: Mapping[str, str], dev_key_file: Path, production: bool) -> list[bytes]:
    """The keys from `HANDOFF_ADDRESS_KEYS` (comma-separated, first one encrypts).

    Without it: in production, raise (a key made up at start would be lost on the next
    deploy, and with it every open case's address); in development, read the key file, or
    generate one key into it (created with mode 0600, readable by this user only).
    """
    keys = _parse_keys(environ.get(ENV_VAR, ""))
    if not keys:
        if production:
            raise AddressKeyError(
                f"{ENV_VAR} is not set: production needs a key kept outside the database"
            )
        keys = _dev_keys(dev_key_file)
    _fernet(keys)  # every key must be a Fernet key: fail at start, not at the first case
    return keys


def _dev_keys(path: Path) -> list[bytes]:
    if path.exists():
        return _parse_keys(path.read_text(encoding="ascii"))
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate_key()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it in between: use that one
        return _parse_keys(path.read_text(encoding="ascii"))
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key.decode("ascii") + "\n")
    return [key]
