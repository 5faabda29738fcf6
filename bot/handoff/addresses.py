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

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from bot.address_keys import (  # noqa: F401 - the handoff's callers import them from here
    ENV_VAR,
    AddressKeyError,
    AddressUnreadable,
    decrypt,
    encrypt,
    generate_key,
    keys_from_env,
    rotate,
)
from bot.handoff.models import Case, CaseAddress
from bot.store.models import InboxMessage, OutboxMessage


def rotate_all(session: Session, keys: Sequence[bytes]) -> int:
    """Re-encrypt every stored address under the first key (those of cases, and those of the
    inbox and outbox rows, which the process's sealed keys re-encrypt when written); returns
    how many."""
    rows = list(session.scalars(select(CaseAddress)))
    for row in rows:
        row.token = rotate(row.token, keys)
    waiting = [
        *session.scalars(select(InboxMessage)),
        *session.scalars(select(OutboxMessage).where(OutboxMessage.address.is_not(None))),
    ]
    for message in waiting:
        flag_modified(message, "address")
    return len(rows) + len(waiting)


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
