"""`python -m bot admin ...`: the first organisation and accounts, from the command line.

Why here: a fresh install has no account and no default password; whoever runs the server
makes the first admin, who then makes the others in /admin. The password comes from standard
input (first line; a second line, if any, must repeat it) or from a prompt, never from an
argument, which other users of the machine could read in the process list.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from bot.config import get_settings
from bot.store.models import Role


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        second = getpass.getpass("again: ")
    else:
        lines = sys.stdin.read().splitlines()
        first = lines[0] if lines else ""
        second = lines[1] if len(lines) > 1 else first
    if first != second:
        raise ValueError("the two passwords differ")
    return first


def _create_org(args: argparse.Namespace) -> int:
    from bot.store.db import session_scope, upgrade
    from bot.workspace.accounts import AccountError, create_organisation

    settings = get_settings()
    upgrade(settings.database_url)
    try:
        with session_scope(settings.database_url) as session:
            organisation = create_organisation(
                session, args.name, countries=args.countries, languages=args.languages
            )
            name = organisation.name
    except AccountError as error:
        print(f"not created: {error}", file=sys.stderr)
        return 1
    print(f"organisation {name!r} created")
    return 0


def _create_user(args: argparse.Namespace) -> int:
    from bot.store.db import session_scope, upgrade
    from bot.workspace.accounts import AccountError, create_account, organisation_named
    from bot.workspace.passwords import WeakPassword

    settings = get_settings()
    upgrade(settings.database_url)
    try:
        password = _read_password()
        with session_scope(settings.database_url) as session:
            organisation = organisation_named(session, args.org)
            if organisation is None:
                raise AccountError(
                    f"no organisation named {args.org!r}; create it first: "
                    f"python -m bot admin create-org {args.org!r}"
                )
            account = create_account(session, organisation, args.username, args.role, password)
            username, role = account.username, account.role
    except (AccountError, WeakPassword, ValueError) as error:
        print(f"not created: {error}", file=sys.stderr)
        return 1
    print(f"user {username!r} ({role}) created in {args.org!r}; sign in at /admin", flush=True)
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    admin = commands.add_parser("admin", help="partner organisations and accounts")
    actions = admin.add_subparsers(dest="action", required=True)
    org = actions.add_parser("create-org", help="create a partner organisation")
    org.add_argument("name")
    org.add_argument("--countries", nargs="*", default=[], help="ISO codes it serves: PA CR")
    org.add_argument("--languages", nargs="*", default=[], help="languages it answers in")
    org.set_defaults(run=_create_org)
    user = actions.add_parser("create-user", help="create an account (password on stdin)")
    user.add_argument("--org", required=True)
    user.add_argument("--role", required=True, choices=[role.value for role in Role])
    user.add_argument("username")
    user.set_defaults(run=_create_user)
