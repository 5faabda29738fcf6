"""One typed settings object, read from the environment (and an optional .env file).

Secrets have no defaults outside development: a production gateway that would pseudonymise with
a guessable key must refuse to start rather than quietly weaken everyone's privacy.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    public_base_url: str | None = None

    database_url: str = f"sqlite:///{REPO_ROOT / 'var' / 'assistant.sqlite3'}"
    # One Rasa, or several separated by commas, taken in turn (`make stack` runs two).
    rasa_url: str = "http://127.0.0.1:5005"
    action_server_url: str = "http://127.0.0.1:5055"
    rasa_timeout_seconds: float = 20.0
    # Rasa's HTTP API token (`rasa run --enable-api --auth-token`): the gateway erases a
    # person's tracker through it on a confirmed deletion. bot/stack.py makes one per run.
    rasa_api_token: str | None = None
    # Rasa's calls to our NLG endpoint carry it (`?token=`, endpoints.yml `nlg: token:`);
    # POST /nlg refuses everyone without it. bot/stack.py makes one per run (NLG_TOKEN).
    nlg_token: str | None = None
    # GET /metrics answers a scrape holding it (bearer or ?token=); unset: this machine only.
    metrics_token: str | None = None
    log_format: str = "text"  # "json": one JSON object per line, no personal data (bot/logs.py)
    # Rasa's SQL tracker store (TRACKER_STORE_URL, a SQLAlchemy URL): the gateway deletes a
    # person's events there on erasure and old ones in the purge (bot/tracker_store.py).
    # bot/stack.py points Rasa and the gateway at an SQLite file in the run folder.
    tracker_store_url: str | None = None
    # Redis (REDIS_URL, e.g. redis://127.0.0.1:6379/0): shared by every gateway worker for
    # per-person order and rate limits, and by the Rasa instances as their lock store. Unset:
    # in-process locks and limits, right for one gateway process (`make demo`).
    redis_url: str | None = None
    # How fast one person may write before being slowed down (PERSON_RATE_LIMIT, the `limits`
    # notation: "20/minute", "5/10 seconds"; empty: nobody is slowed). Over it, a message is not
    # sent to Rasa and the person is told once per window; the emergency fast path is never
    # limited (bot/pipeline/rate_limit.py). Counted per pseudonym, in Redis when REDIS_URL is set.
    person_rate_limit: str | None = "20/minute"

    content_dir: Path = REPO_ROOT / "content"
    translations_dir: Path = REPO_ROOT / "translations"
    nlu_data_dir: Path = REPO_ROOT / "nlu_data"

    # WhatsApp through Twilio (docs/channels.md). Without an auth token the webhook refuses all.
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_api_base: str = "https://api.twilio.com"
    whatsapp_from: str | None = None  # our sender, "whatsapp:+14155238886"
    # twiml: the answer rides in the webhook's response; rest: acknowledged at once, answered
    # through the Messages API from the persisted outbox (needed for content templates).
    whatsapp_reply: Literal["twiml", "rest"] = "twiml"
    # Twilio content templates for buttons, by kind and number of options, e.g.
    # {"quick-reply:3": "HX...", "list-picker:10": "HX..."} (docs/channels.md); JSON in the env.
    whatsapp_content_templates: dict[str, str] = {}
    # The approved template that carries a message outside WhatsApp's 24-hour window.
    whatsapp_window_template: str | None = None

    # Telegram through python-telegram-bot (docs/channels.md).
    telegram_bot_token: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_api_base: str = "https://api.telegram.org"

    # Campaign links (bot/sharing/links.py): the bot's username for t.me/<bot>?start=... and
    # the WhatsApp number people write to, for wa.me/<digits>?text=... Unset: no link is shown.
    telegram_bot_username: str | None = None
    whatsapp_number: str | None = None

    @property
    def rasa_urls(self) -> list[str]:
        """Every Rasa instance RASA_URL names (comma-separated), in the order given."""
        return [url.strip() for url in self.rasa_url.split(",") if url.strip()]

    @property
    def gazetteer_path(self) -> Path:
        return self.content_dir / "places" / "gazetteer.yml"

    @property
    def emergency_patterns_path(self) -> Path:
        return self.content_dir / "safety" / "emergency.yml"

    @property
    def child_alone_patterns_path(self) -> Path:
        return self.content_dir / "safety" / "minor_alone.yml"

    @property
    def self_check_path(self) -> Path:
        return self.content_dir / "safety" / "self_check.yml"

    pseudonym_key: str | None = None
    # The partner workspace (/admin). Its session cookies are Secure (sent over HTTPS only;
    # browsers treat http://127.0.0.1 and localhost as secure, so the demo works): set False
    # only behind a plain-HTTP address that is not this machine, never in production.
    workspace_secure_cookies: bool = True
    # Signs workspace sessions and CSRF tokens; without it, derived from the pseudonym key.
    workspace_secret: str | None = None
    # Written by the demo's supervisor (bot/supervisor.py): restarts, shown on /healthz.
    supervisor_status_file: Path | None = None
    # The demo's logs, Rasa's endpoints.yml and processes.json; two demos side by side (the
    # integration tests) need one each, or a restarted Rasa would read the other's endpoints.
    demo_run_dir: Path = REPO_ROOT / "var" / "demo"
    # How often (seconds) each gateway process looks in the store for a new version of the
    # emergency patterns, the child-alone patterns and the gazetteer saved in the workspace
    # (bot/safety/documents.py SafetyRules): one small query, at most this often.
    safety_refresh_seconds: float = 5.0
    # Fernet keys for the addresses kept with open handoff cases (HANDOFF_ADDRESS_KEYS,
    # comma-separated, the first encrypts): required in production, a key file in development.
    handoff_address_keys: str | None = None
    # The organisation that gets the cases no partner covers (by name; else "sample").
    handoff_default_organisation: str | None = None
    # An open case nobody has answered for this long is overdue: the inbox says so and the
    # person is told, once, with the emergency numbers (HANDOFF_ANSWER_WITHIN_MINUTES).
    handoff_answer_within_minutes: float = 30.0
    # Installed machine-translation packages (TRANSLATION_PACKAGES_DIR; bot/translation/):
    # var/translation/packages unless set. `python -m bot translate install` puts them there.
    translation_packages_dir: Path | None = None
    # Message text is kept at most this many days (RETAIN_TEXT_DAYS; issue 16): the privacy
    # notice says so, and `python -m bot purge` removes what is older.
    retain_text_days: int = 7
    # `make demo` runs `python -m bot purge` at start and this often (PURGE_EVERY_MINUTES).
    purge_every_minutes: float = 60.0

    @model_validator(mode="after")
    def _refuse_missing_secrets_in_production(self) -> Settings:
        if self.environment == "production" and not self.pseudonym_key:
            raise ValueError("PSEUDONYM_KEY must be set in production")
        if self.telegram_bot_token and self.public_base_url and not self.telegram_webhook_secret:
            raise ValueError("TELEGRAM_WEBHOOK_SECRET must be set for a Telegram webhook")
        return self

    def resolved_workspace_secret(self) -> bytes:
        if self.workspace_secret:
            return self.workspace_secret.encode()
        return hmac.new(self.resolved_pseudonym_key(), b"workspace", hashlib.sha256).digest()

    @property
    def telegram_polling(self) -> bool:
        """Polling on a laptop (no public address); the webhook everywhere else."""
        return bool(self.telegram_bot_token) and not self.public_base_url

    def resolved_pseudonym_key(self) -> bytes:
        """The HMAC key for pseudonyms; in development a random key kept under var/.

        Kept on disk so that a demo restart keeps the same conversations apart.
        """
        if self.pseudonym_key:
            return self.pseudonym_key.encode()
        key_file = REPO_ROOT / "var" / "dev-pseudonym.key"
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_hex(32))
            key_file.chmod(0o600)
        return key_file.read_text().strip().encode()


@lru_cache
def get_settings() -> Settings:
    return Settings()
