"""Several Rasa instances behind the gateway's own round-robin (`make stack` runs two), and a
/healthz that names each one: what happens when one of them is killed mid-run."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from bot.pipeline.rasa import RasaClient, RasaUnavailable
from bot.stack import free_port
from bot.web.health import check
from tests.fakes.rasa import FakeRasa
from tests.fakes.server import serve


def _echo(name: str):
    return lambda message: [{"text": f"{name}: {message}"}]


@pytest.fixture
def two_rasas() -> Iterator[tuple[FakeRasa, str, FakeRasa, str]]:
    first, second = FakeRasa([], _echo("first")), FakeRasa([], _echo("second"))
    with serve(first.app()) as first_url, serve(second.app()) as second_url:
        yield first, first_url, second, second_url


def _send_all(urls: list[str], count: int) -> list[str]:
    async def run() -> list[str]:
        async with httpx.AsyncClient() as http:
            client = RasaClient(urls, http, timeout=5)
            answers = [await client.send(f"p{i}", f"m{i}", {}) for i in range(count)]
        return [answer.replies[0].text for answer in answers]

    return asyncio.run(run())


def test_messages_are_shared_between_the_instances_in_turn(two_rasas):
    first, first_url, second, second_url = two_rasas
    texts = _send_all([first_url, second_url], 6)
    assert len(first.calls) == len(second.calls) == 3
    assert [text.split(":")[1].strip() for text in texts] == [f"m{i}" for i in range(6)]


def test_an_instance_that_refuses_connections_is_passed_over(two_rasas):
    first, first_url, _second, _second_url = two_rasas
    killed = f"http://127.0.0.1:{free_port()}"  # nothing listens: a Rasa killed mid-run
    texts = _send_all([killed, first_url], 4)
    assert texts == [f"first: m{i}" for i in range(4)]
    assert len(first.calls) == 4


def test_an_instance_that_failed_after_taking_the_message_is_not_asked_twice(two_rasas):
    """A 5xx (or a timeout) may come after Rasa wrote the message into the person's tracker:
    sending it to the other instance would put it there twice. The message is held instead."""
    first, first_url, second, second_url = two_rasas
    first.up = False  # answers 503

    async def run() -> None:
        async with httpx.AsyncClient() as http:
            client = RasaClient([first_url, second_url], http, timeout=5)
            with pytest.raises(RasaUnavailable):
                await client.send("p", "m", {})

    asyncio.run(run())
    assert second.calls == []


def test_every_instance_refusing_is_rasa_unavailable():
    down = [f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"]

    async def run() -> None:
        async with httpx.AsyncClient() as http:
            with pytest.raises(RasaUnavailable):
                await RasaClient(down, http, timeout=2).send("p", "m", {})

    asyncio.run(run())


def _health(sessions, rasa_urls: list[str], actions_url: str, redis_url: str | None = None):
    async def run():
        async with httpx.AsyncClient() as http:
            return await check(http, sessions, rasa_urls, actions_url, redis_url)

    return asyncio.run(run())


@pytest.fixture
def action_server() -> Iterator[str]:
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def health(_request):
        return JSONResponse({"status": "ok"})

    with serve(Starlette(routes=[Route("/health", health)])) as url:
        yield url


def test_healthz_names_the_instance_that_is_down_and_stays_in_service(
    two_rasas, sessions, action_server
):
    first, first_url, _second, second_url = two_rasas
    first.up = False
    health = _health(sessions, [first_url, second_url], action_server)
    port = first_url.rsplit(":", 1)[1]
    assert health.failing == []
    assert health.degraded == [f"rasa 127.0.0.1:{port}"]
    assert health.rasa_instances[f"rasa 127.0.0.1:{second_url.rsplit(':', 1)[1]}"] is True


def test_healthz_fails_when_every_instance_is_down(two_rasas, sessions, action_server):
    first, first_url, second, second_url = two_rasas
    first.up = second.up = False
    health = _health(sessions, [first_url, second_url], action_server)
    assert health.failing == ["rasa"]
    assert health.degraded == []


def test_healthz_names_a_redis_that_does_not_answer(two_rasas, sessions, action_server):
    _first, first_url, _second, _second_url = two_rasas
    health = _health(sessions, [first_url], action_server, f"redis://127.0.0.1:{free_port()}/0")
    assert health.failing == ["redis"]
    assert "redis" not in _health(sessions, [first_url], action_server).checks
