"""Fernet keys for the raw addresses the system must keep (a phone number, a Telegram chat id):
with an open handoff case (bot/handoff/addresses.py) and in the inbox and outbox rows
(bot/store/sealed.py). Why, and how to rotate the keys: bot/handoff/addresses.py.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.config import REPO_ROOT, Settings

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


def keys_for(settings: Settings) -> list[bytes]:
    """This deployment's keys; in production without HANDOFF_ADDRESS_KEYS the gateway refuses
    to start (bot/handoff/addresses.py says why), in development a key file under var/."""
    environ = {ENV_VAR: settings.handoff_address_keys or ""}
    dev_key_file = REPO_ROOT / "var" / "handoff-address.key"
    return keys_from_env(environ, dev_key_file, settings.environment == "production")
