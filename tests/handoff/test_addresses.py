"""The person's address is stored only as a Fernet token: unreadable without the key, keys
rotate, and the development key file is made once with mode 0600."""

from __future__ import annotations

import stat

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import String, Text, cast, select

from bot.handoff import addresses
from bot.handoff.addresses import AddressKeyError, AddressUnreadable, keys_from_env
from bot.handoff.cases import open_case
from bot.handoff.models import CaseAddress
from bot.pseudonym import pseudonymise
from bot.store.models import Base
from tests.handoff import KEYS, NOW, organisation

PHONE = "whatsapp:+50937123456"
DIGITS = "37123456"


def test_the_token_does_not_hold_the_number_and_needs_the_key():
    token = addresses.encrypt(PHONE, KEYS)
    assert DIGITS not in token
    assert addresses.decrypt(token, KEYS) == PHONE
    with pytest.raises(AddressUnreadable):
        addresses.decrypt(token, [Fernet.generate_key()])


def test_no_table_holds_the_number_of_an_open_case(session):
    organisation(session, "Haiti Panama", ["PA"], ["ht"])
    opened = open_case(
        session,
        pseudonym=pseudonymise(b"k", "whatsapp", PHONE),
        channel="whatsapp",
        address=PHONE,
        language="ht",
        country="PA",
        reason="other",
        now=NOW,
        keys=KEYS,
    )
    session.flush()
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String | Text):
                values = session.execute(select(cast(column, String))).scalars()
                assert not any(DIGITS in (value or "") for value in values), column
    assert addresses.address_of(session, opened.case, KEYS) == PHONE
    stored = session.get(CaseAddress, opened.case.id)
    assert stored is not None and stored.channel == "whatsapp"


def test_rotation_new_key_first_old_still_reads():
    old, new = Fernet.generate_key(), Fernet.generate_key()
    token = addresses.encrypt(PHONE, [old])
    assert addresses.decrypt(token, [new, old]) == PHONE
    rotated = addresses.rotate(token, [new, old])
    assert addresses.decrypt(rotated, [new]) == PHONE
    with pytest.raises(AddressUnreadable):
        addresses.decrypt(rotated, [old])


def test_rotate_all_re_encrypts_what_is_stored(session):
    old, new = Fernet.generate_key(), Fernet.generate_key()
    organisation(session, "Haiti Panama", ["PA"], ["ht"])
    opened = open_case(
        session,
        pseudonym="whatsapp-abc",
        channel="whatsapp",
        address=PHONE,
        language="ht",
        country="PA",
        reason="other",
        now=NOW,
        keys=[old],
    )
    assert addresses.rotate_all(session, [new, old]) == 1
    assert addresses.address_of(session, opened.case, [new]) == PHONE


def test_keys_from_the_environment_first_one_encrypts(tmp_path):
    first, second = Fernet.generate_key(), Fernet.generate_key()
    value = f" {first.decode()} , {second.decode()} "
    keys = keys_from_env({"HANDOFF_ADDRESS_KEYS": value}, tmp_path / "key", production=True)
    assert keys == [first, second]
    assert not (tmp_path / "key").exists()


def test_development_generates_one_key_file_once(tmp_path):
    key_file = tmp_path / "var" / "handoff.key"
    keys = keys_from_env({}, key_file, production=False)
    assert len(keys) == 1
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert keys_from_env({}, key_file, production=False) == keys


def test_production_without_keys_refuses_to_start(tmp_path):
    with pytest.raises(AddressKeyError):
        keys_from_env({"HANDOFF_ADDRESS_KEYS": " "}, tmp_path / "key", production=True)
    assert not (tmp_path / "key").exists()


def test_a_value_that_is_not_a_key_is_refused(tmp_path):
    with pytest.raises(AddressKeyError):
        keys_from_env({"HANDOFF_ADDRESS_KEYS": "secret"}, tmp_path / "key", production=False)
