"""`python -m bot ...`: the commands an operator or an NGO's volunteer runs.

content import DIR     load content/*.yml into the store (replaces those topics); prints
                       what changes first, `--dry-run` prints only that
content export DIR     write the store back as YAML, one file per topic
langid                 one message per line on stdin -> LANG<TAB>CONFIDENCE
train [--force]        train the Rasa model if its inputs changed
db upgrade             bring the database schema up to date
db seed                the same, then the seed content into an empty store
whatsapp send --to whatsapp:+509... --text "..."
                       queue a later message (free text within 24 h, else the window template);
                       the running gateway sends it (needs TWILIO_ACCOUNT_SID and WHATSAPP_FROM)
purge [--now ISO]      remove message text and webhook ids older than RETAIN_TEXT_DAYS
                       (bot/purge.py); `make demo` runs it every PURGE_EVERY_MINUTES
phrases update|check|compile
                       the fixed phrases' catalogs (translations/*.po) with Babel:
                       template + merge, checks, .mo files (bot/phrase_catalogs.py)
demo                   everything, on embedded defaults (what `make demo` runs)
stack [--workers 3] [--rasa 2]
                       the production shape on one machine: PostgreSQL, Redis, 2 Rasa, the action
                       server, gateway workers (what `make stack` runs; bot/run_stack.py)
servers [--folder DIR] a local PostgreSQL and Redis in the foreground, their URLs printed
                       (bot/servers.py; data in var/stack/ by default)
admin create-org NAME  a partner organisation (bot/workspace/cli.py)
admin create-user --org NAME --role ROLE USERNAME
                       an account; the password is read from stdin or a prompt
translate list         installed machine-translation pairs with their versions
translate install PATH install an .argosmodel (bot/translation/cli.py)
translate package-opus-mt MODEL_DIR OUT
                       an OPUS-MT Marian model (e.g. en->ht) as an .argosmodel
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from bot import servers
from bot.config import REPO_ROOT, get_settings
from bot.translation import cli as translation_cli
from bot.workspace import cli as workspace_cli


def _content(args: argparse.Namespace) -> int:
    """Import prints what it changes in the store first (topics are replaced whole, so a
    partner's work in them is lost); `--dry-run` prints only that."""
    from bot.content.io import (
        ContentError,
        export_directory,
        format_import_report,
        import_directory,
        import_report,
        load_directory,
    )
    from bot.languages import load_languages
    from bot.store.db import session_scope, upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        if args.action == "import":
            languages = load_languages(settings.translations_dir)
            try:
                report = import_report(session, load_directory(Path(args.directory), languages))
            except ContentError as error:
                print(f"content not imported: {error}", file=sys.stderr)
                return 1
            print("what the import changes in the store:")
            for line in format_import_report(report):
                print(f"  {line}")
            if getattr(args, "dry_run", False):
                print("dry run: nothing was changed")
                return 0
            topics = import_directory(session, Path(args.directory), languages)
            print(f"imported {len(topics)} topics: {', '.join(topics)}")
        else:
            topics = export_directory(session, Path(args.directory))
            print(f"exported {len(topics)} topics to {args.directory}")
    return 0


def _langid(_args: argparse.Namespace) -> int:
    from bot.langid import build_detector
    from bot.languages import load_languages
    from bot.pipeline.language import identify

    settings = get_settings()
    languages = load_languages(settings.translations_dir)
    detector = build_detector(
        settings.nlu_data_dir, settings.content_dir, settings.translations_dir
    )
    for line in sys.stdin:
        detection = identify(detector, languages, line.rstrip("\n"))
        language = detection.language or languages.default
        print(f"{language}\t{detection.confidence:.3f}", flush=True)
    return 0


def _train(args: argparse.Namespace) -> int:
    from bot.training import train_if_needed

    train_if_needed(force=args.force)
    return 0


def _places(args: argparse.Namespace) -> int:
    from bot.places import gazetteer_from_text, to_rasa_nlu
    from bot.safety.documents import GAZETTEER_DOCUMENT, current_text
    from bot.store.db import session_scope, upgrade

    # The gazetteer admins edit in /admin (the store), else the seed file: Rasa learns the
    # places partners added at its next training.
    settings = get_settings()
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        _version, document = current_text(session, GAZETTEER_DOCUMENT, settings.gazetteer_path)
    text = to_rasa_nlu(gazetteer_from_text(document, str(settings.gazetteer_path)))
    target = Path(args.path)
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target}")
    return 0


def _db(args: argparse.Namespace) -> int:
    """`upgrade` the schema; `seed` also loads the seed content into an empty store (the
    deployed stack's one-off step before any worker starts, deploy/compose.yaml)."""
    from bot.run_stack import seed_if_empty
    from bot.store.db import upgrade

    if args.action == "seed":
        return seed_if_empty(get_settings())
    upgrade(get_settings().database_url)
    return 0


def _demo(_args: argparse.Namespace) -> int:
    """Load content, train if needed, run every process and keep it running (a process that
    exits is started again, see bot/supervisor.py), stop them all on SIGINT/SIGTERM."""
    from bot import run_stack

    return run_stack.demo()


def _stack(args: argparse.Namespace) -> int:
    """The production shape on one machine: PostgreSQL, Redis, 2 Rasa, several gateway workers."""
    from bot import run_stack

    return run_stack.stack(args.folder, args.workers, args.rasa)


def _whatsapp(args: argparse.Namespace) -> int:
    from bot.address_keys import keys_for
    from bot.channels.whatsapp.window import FollowUpRefused, queue_follow_up
    from bot.clock import system_clock
    from bot.store import sealed
    from bot.store.db import session_scope, upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    sealed.configure(keys_for(settings), settings.resolved_pseudonym_key())
    text = sys.stdin.read() if args.text == "-" else args.text
    try:
        with session_scope(settings.database_url) as session:
            sent_as = queue_follow_up(
                session,
                settings.resolved_pseudonym_key(),
                args.to,
                text.strip(),
                settings.whatsapp_window_template,
                system_clock(),
            )
    except FollowUpRefused as refusal:
        print(f"not sent: {refusal}", file=sys.stderr)
        return 1
    print(f"queued as {sent_as}; the gateway sends it")
    return 0


def _purge(args: argparse.Namespace) -> int:
    from bot.clock import system_clock
    from bot.purge import purge
    from bot.store.db import session_factory, upgrade
    from bot.web.services import tracker_events

    settings = get_settings()
    upgrade(settings.database_url)
    now = args.now or system_clock()
    report = purge(
        session_factory(settings.database_url),
        tracker_events(settings),
        now,
        settings.retain_text_days,
    )
    days = settings.retain_text_days
    print(f"purged what is older than {days} days before {now:%Y-%m-%d %H:%M} UTC:")
    for line in report.lines():
        print(f"  {line}")
    return 0


def _phrases(args: argparse.Namespace) -> int:
    """`make phrases` runs update then compile; check alone is what a translator runs."""
    from bot import phrase_catalogs
    from bot.languages import load_languages

    settings = get_settings()
    directory = settings.translations_dir
    table = load_languages(directory)
    codes, source = list(table.codes), table.default
    if args.action == "update":
        for report in phrase_catalogs.update(directory, codes, source):
            print(
                f"{report.language}: {len(report.added)} new (empty), "
                f"{len(report.outdated)} outdated (English changed), "
                f"{len(report.obsolete)} obsolete"
            )
            for key in report.added + report.outdated:
                print(f"  to translate: {key}")
        return 0
    if args.action == "compile":
        out = REPO_ROOT / "var" / "phrases"
        problems = phrase_catalogs.compile_catalogs(directory, codes, source, out)
        print(f"compiled {len(codes)} catalogs into {out}")
    else:
        problems = phrase_catalogs.check(directory, codes, source)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"every phrase in every language ({', '.join(codes)}): nothing missing")
    return 1 if problems else 0


def _moment(text: str) -> dt.datetime:
    """An ISO date or time, taken as UTC when it names no zone."""
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    content = commands.add_parser("content", help="import or export content YAML")
    content.add_argument("action", choices=["import", "export"])
    content.add_argument("directory")
    content.add_argument(
        "--dry-run", action="store_true", help="import: print what would change, change nothing"
    )
    content.set_defaults(run=_content)
    commands.add_parser("langid", help="detect the language of each stdin line").set_defaults(
        run=_langid
    )
    train = commands.add_parser("train", help="train the Rasa model if its inputs changed")
    train.add_argument("--force", action="store_true")
    train.set_defaults(run=_train)
    places = commands.add_parser("places", help="the gazetteer as Rasa lookup and synonyms")
    places.add_argument("action", choices=["export-nlu"])
    places.add_argument("path")
    places.set_defaults(run=_places)
    db = commands.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade", "seed"])
    db.set_defaults(run=_db)
    whatsapp = commands.add_parser("whatsapp", help="a later message to a WhatsApp user")
    whatsapp.add_argument("action", choices=["send"])
    whatsapp.add_argument("--to", required=True, help="whatsapp:+<country code><number>")
    whatsapp.add_argument("--text", required=True, help='the message, or "-" to read stdin')
    whatsapp.set_defaults(run=_whatsapp)
    purge = commands.add_parser("purge", help="remove text older than RETAIN_TEXT_DAYS")
    purge.add_argument(
        "--now", type=_moment, default=None, help="purge as if it were this ISO time (UTC)"
    )
    purge.set_defaults(run=_purge)
    phrases = commands.add_parser("phrases", help="the fixed phrases' gettext catalogs")
    phrases.add_argument("action", choices=["update", "check", "compile"])
    phrases.set_defaults(run=_phrases)
    commands.add_parser("demo", help="run everything on embedded defaults").set_defaults(run=_demo)
    stack = commands.add_parser("stack", help="PostgreSQL, Redis, 2 Rasa, several gateways")
    stack.add_argument("--folder", type=Path, default=REPO_ROOT / "var" / "stack")
    stack.add_argument("--workers", type=int, default=3, help="gateway worker processes")
    stack.add_argument("--rasa", type=int, default=2, help="Rasa instances")
    stack.set_defaults(run=_stack)
    workspace_cli.add_commands(commands)
    translation_cli.register(commands)
    servers.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
