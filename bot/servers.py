"""A local PostgreSQL and a local Redis from Debian's binaries, for `make stack` and the tests.

The production-shaped stack (issue 19) keeps the store and Rasa's trackers in PostgreSQL and
its locks, ordering and rate limits in Redis. On one machine, and in CI, we start both
ourselves instead of using the system services: each has its data in a folder we are given
(`var/stack/` for `make stack`, a temporary one for a test session), listens on 127.0.0.1 on a
free port, and belongs to us, so that stopping us stops it and nothing of another project's
databases is touched. `make servers` installs the packages (postgresql-15, redis-server).

Every server runs in its own process group (as bot/stack.py's processes do) and is asked to
die with us, so stop(), a Ctrl-C or even a SIGKILL of our process leaves no server behind.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from bot.stack import die_with_parent, finish_group, free_port

POSTGRES_BIN = Path(os.environ.get("POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
REDIS_SERVER = os.environ.get("REDIS_SERVER", "redis-server")
START_TIMEOUT_SECONDS = 30.0
STOP_GRACE_SECONDS = 15.0
# initdb and postgres refuse to run as root; when we are root they run as Debian's own user.
POSTGRES_SYSTEM_USER = "postgres"


class ServersMissing(RuntimeError):
    """PostgreSQL's or Redis's binaries are not installed: `make servers` installs them."""


class ServerFailed(RuntimeError):
    """A server exited or did not answer in time; the message names its log."""


def _require(path: str | Path, what: str) -> None:
    exists = Path(path).is_file() if os.sep in str(path) else _on_path(str(path))
    if not exists:
        raise ServersMissing(
            f"{what} is not installed ({path} not found): run `make servers`, which installs "
            "Debian's postgresql-15 and redis-server"
        )


def _on_path(name: str) -> bool:
    return any((Path(d) / name).is_file() for d in os.environ.get("PATH", "").split(os.pathsep))


class _Process:
    """One server process in its own session (hence its own process group), its output in a
    log file in its folder, stopped by a signal to the group and, after a grace period, by
    SIGKILL, so that nothing it started survives it."""

    name = "server"
    stop_signal = signal.SIGTERM

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder).resolve()
        self.log = self.folder / f"{self.name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def _spawn(self, command: list[str], preexec: Callable[[], None]) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own fixed commands
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=preexec,
            )

    def _wait_until(self, answers: Callable[[], bool]) -> None:
        """Until `answers()` is True; fails at once if the process exited."""
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                self.stop()
                raise ServerFailed(f"{self.name} exited; see {self.log}")
            if answers():
                return
            time.sleep(0.1)
        self.stop()
        raise ServerFailed(
            f"{self.name} did not answer in {START_TIMEOUT_SECONDS:.0f}s; see {self.log}"
        )

    def stop(self) -> None:
        """Ask the server to shut down cleanly, wait, then kill whatever its group still has."""
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, self.stop_signal)
        finish_group(process, STOP_GRACE_SECONDS)

    def __enter__(self):  # noqa: ANN204 - the subclass itself
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def start(self) -> str:
        raise NotImplementedError


class PostgresServer(_Process):
    """PostgreSQL 15 with its cluster in `folder/data`, listening on 127.0.0.1:`port` and on a
    unix socket in `folder` that only its owner may use (the superuser's way in, without a
    password). The application gets a role and a database of its own, with a password, over
    TCP: what a real deployment's DATABASE_URL looks like.

    `durable=False` (tests only) turns fsync and synchronous commits off: a crash of the
    machine may then corrupt the cluster, which is fine for a throwaway test database and
    makes each commit and CREATE DATABASE much cheaper."""

    name = "postgres"
    # Fast shutdown: open transactions are rolled back, clients disconnected. SIGTERM
    # ("smart") would wait for every client, e.g. a gateway worker's pool, to leave first.
    stop_signal = signal.SIGINT

    def __init__(
        self,
        folder: Path,
        *,
        port: int | None = None,
        database: str = "assistant",
        user: str = "assistant",
        durable: bool = True,
    ) -> None:
        super().__init__(folder)
        self.port = port or free_port()
        self.database = database
        self.user = user
        self.durable = durable
        self.data = self.folder / "data"

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the application's database (psycopg 3)."""
        return self.url_for(self.database)

    def url_for(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    @property
    def password(self) -> str:
        """Made once per folder and kept there (readable by its owner only), so a stack
        restarted on the same data keeps its URL valid."""
        path = self.folder / "password"
        if not path.exists():
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(24))
        return path.read_text().strip()

    def _as_server_user(self) -> tuple[Callable[[], None], int | None]:
        """The preexec function that drops root to the `postgres` user (then asks to die with
        us: Linux clears that request when the user changes, so the order matters)."""
        if os.geteuid() != 0:
            return die_with_parent, None
        try:
            account = pwd.getpwnam(POSTGRES_SYSTEM_USER)
        except KeyError as error:
            raise ServersMissing(
                f"no `{POSTGRES_SYSTEM_USER}` system user: run `make servers`"
            ) from error

        def drop() -> None:
            os.setgroups([])
            os.setgid(account.pw_gid)
            os.setuid(account.pw_uid)
            die_with_parent()

        return drop, account.pw_uid

    def _prepare_folder(self, uid: int | None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.password  # noqa: B018 - created by root before the folder changes hands
        if uid is None:
            return
        os.chown(self.folder, uid, -1)
        self.folder.chmod(0o711)  # the server user enters; only root reads the password
        # The server user must reach its folder through every parent (a 0700 temp folder
        # of root's would stop it with an obscure "permission denied").
        for parent in self.folder.parents:
            if parent.stat().st_mode & 0o001 == 0:
                raise ServerFailed(
                    f"{parent} is closed to the `{POSTGRES_SYSTEM_USER}` user; "
                    "give PostgreSQL a folder it can reach (e.g. under var/ or /tmp)"
                )

    def start(self) -> str:
        _require(POSTGRES_BIN / "postgres", "PostgreSQL 15")
        preexec, uid = self._as_server_user()
        self._prepare_folder(uid)
        if not (self.data / "PG_VERSION").exists():
            self._initdb(preexec)
        self._spawn(self._command(), preexec)
        self._wait_until(self._answers)
        self._create_role_and_database()
        return self.url

    def _initdb(self, preexec: Callable[[], None]) -> None:
        """A new cluster: the superuser `postgres` trusted on the folder's unix socket only,
        every TCP login by password (scram-sha-256)."""
        with self.log.open("ab") as log:
            subprocess.run(  # noqa: S603 - our own fixed command
                [
                    str(POSTGRES_BIN / "initdb"),
                    "--pgdata",
                    str(self.data),
                    "--username",
                    "postgres",
                    "--auth-local",
                    "trust",
                    "--auth-host",
                    "scram-sha-256",
                    "--encoding",
                    "UTF8",
                    "--locale",
                    "C.UTF-8",
                    *(["--no-sync"] if not self.durable else []),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=preexec,
                check=True,
            )

    def _command(self) -> list[str]:
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.folder),
            "unix_socket_permissions": "0700",
            # Several gateway workers and two Rasa instances each keep a pool.
            "max_connections": "200",
        }
        if not self.durable:
            settings |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        command = [str(POSTGRES_BIN / "postgres"), "-D", str(self.data)]
        for key, value in settings.items():
            command += ["-c", f"{key}={value}"]
        return command

    def _superuser(self):  # noqa: ANN202 - a psycopg connection
        import psycopg

        return psycopg.connect(
            host=str(self.folder),
            port=self.port,
            user="postgres",
            dbname="postgres",
            autocommit=True,
            connect_timeout=2,
        )

    def _answers(self) -> bool:
        import psycopg

        try:
            with self._superuser():
                return True
        except psycopg.OperationalError:
            return False

    def _create_role_and_database(self) -> None:
        """The application's role (allowed to create databases: the tests make one per test)
        and its database, owned by it; idempotent, so a restarted stack keeps its data."""
        from psycopg import sql

        with self._superuser() as connection:
            role = sql.Identifier(self.user)
            password = sql.Literal(self.password)
            exists = connection.execute(
                "SELECT 1 FROM pg_roles WHERE rolname = %s", (self.user,)
            ).fetchone()
            verb = sql.SQL("ALTER" if exists else "CREATE")
            connection.execute(
                sql.SQL("{} ROLE {} LOGIN CREATEDB PASSWORD {}").format(verb, role, password)
            )
            if not connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (self.database,)
            ).fetchone():
                connection.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(
                        sql.Identifier(self.database), role
                    )
                )

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database owned by the application's role, empty or a copy of `template`
        (nobody may be connected to it); returns its URL. Copying a migrated template takes
        a fraction of a second, running the migrations again several."""
        from psycopg import sql

        statement = sql.SQL("CREATE DATABASE {} OWNER {}").format(
            sql.Identifier(name), sql.Identifier(self.user)
        )
        if template:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with self._superuser() as connection:
            connection.execute(statement)
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, closing whatever connections are still open on it."""
        from psycopg import sql

        with self._superuser() as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


class RedisServer(_Process):
    """Redis with its working folder in `folder`, on 127.0.0.1:`port` (protected mode on).

    `durable=True` (the stack) keeps an append-only file, fsynced every second: what Redis
    holds there (Rasa's conversation locks, the per-person ordering, rate windows, and
    whatever queue moves to it) survives a restart of Redis alone instead of silently
    starting empty, for at most a second of writes. Tests want no file at all
    (`durable=False`): nothing is written, every session starts empty."""

    name = "redis"

    def __init__(self, folder: Path, *, port: int | None = None, durable: bool = True) -> None:
        super().__init__(folder)
        self.port = port or free_port()
        self.durable = durable

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _command(self) -> list[str]:
        persistence = (
            ["--appendonly", "yes", "--appendfsync", "everysec"]
            if self.durable
            else ["--appendonly", "no"]
        )
        return [
            REDIS_SERVER,
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--dir",
            str(self.folder),
            "--save",
            "",
            *persistence,
            "--daemonize",
            "no",
            "--protected-mode",
            "yes",
        ]

    def _answers(self) -> bool:
        import redis

        try:
            with redis.Redis.from_url(self.url, socket_connect_timeout=1) as client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    def start(self) -> str:
        _require(REDIS_SERVER, "Redis")
        self.folder.mkdir(parents=True, exist_ok=True)
        self._spawn(self._command(), die_with_parent)
        self._wait_until(self._answers)
        return self.url


@contextlib.contextmanager
def scratch_folder(prefix: str = "route-servers-") -> Iterator[Path]:
    """A temporary folder for throwaway servers (a test session), removed afterwards. Unlike
    mkdtemp's own (0700), the `postgres` user may pass through it to its subfolder."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        folder.chmod(0o711)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def running(folder: Path, *, durable: bool = True) -> Iterator[tuple[PostgresServer, RedisServer]]:
    """PostgreSQL in `folder/postgres` and Redis in `folder/redis`, both stopped on exit."""
    with (
        PostgresServer(Path(folder) / "postgres", durable=durable) as postgres,
        RedisServer(Path(folder) / "redis", durable=durable) as redis,
    ):
        yield postgres, redis


def serve(folder: Path) -> int:
    """`python -m bot servers`: both servers in the foreground until Ctrl-C or SIGTERM,
    their URLs printed as the settings that use them."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with running(folder) as (postgres, redis):
        print(f"DATABASE_URL={postgres.url}")
        print(f"REDIS_URL={redis.url}")
        print("ready (Ctrl-C stops both)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    return 0


def register(commands) -> None:  # noqa: ANN001 - argparse's private subparsers type
    """`python -m bot servers [--folder DIR]` (bot/cli.py)."""
    from bot.config import REPO_ROOT

    parser = commands.add_parser("servers", help="a local PostgreSQL and Redis, foreground")
    parser.add_argument("--folder", type=Path, default=REPO_ROOT / "var" / "stack")
    parser.set_defaults(run=lambda args: serve(args.folder))
