"""The partner workspace served by uvicorn on localhost for browser tests, and a signed-in page.

Chromium keeps the workspace's Secure cookies on http://localhost, so a real browser can sign
in without TLS. One helper instead of the same dozen lines in every screenshot test."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from bot.config import Settings
from bot.languages import LanguageTable
from bot.stack import free_port
from bot.workspace.pages import PREFIX
from bot.workspace.web import create_workspace


@contextmanager
def serve_workspace(
    settings: Settings,
    languages: LanguageTable,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> Iterator[str]:
    """The workspace of `settings` at /admin (its time from `clock`); yields its base URL,
    stops it afterwards."""
    root = FastAPI()
    root.mount(PREFIX, create_workspace(settings, languages, clock))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(root, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://localhost:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def signed_in_page(browser, base: str, username: str, password: str, viewport: dict[str, int]):  # noqa: ANN001, ANN201 - Playwright objects
    """A new page at `viewport`, signed in as `username`, on the dashboard."""
    page = browser.new_page(viewport=viewport)
    page.goto(f"{base}{PREFIX}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}{PREFIX}/")
    return page
