"""Hold conversations with a running gateway over the signed WhatsApp webhook, and read them.

    TWILIO_AUTH_TOKEN=... .venv/bin/python scripts/talk.py conversations.txt [--url URL]

The file holds one message per line; a blank line starts a new person (a new number); a line
starting with # is a comment. Every answer is printed under its message, as the person would
read it on WhatsApp (TwiML mode), with the time it took. Start the gateway with the same
TWILIO_AUTH_TOKEN (e.g. `TWILIO_AUTH_TOKEN=talk make demo`).
"""

from __future__ import annotations

import argparse
import itertools
import os
import secrets
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
from twilio.request_validator import RequestValidator

# Random starts: two runs against the same gateway are new people with new MessageSids (ids
# seeded from the clock repeated across runs seconds apart, and the gateway rightly answered
# the repeats with nothing, as redeliveries).
_numbers = itertools.count(secrets.randbelow(10**7 - 10**5))
_sids = itertools.count(secrets.randbits(120))


def conversations(path: Path) -> list[list[str]]:
    """The file's conversations: lists of messages, split on blank lines."""
    found: list[list[str]] = [[]]
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            found.append([])
        elif not line.lstrip().startswith("#"):
            found[-1].append(line.strip())
    return [c for c in found if c]


def say(client: httpx.Client, url: str, token: str, sender: str, text: str) -> str:
    sid = f"SM{next(_sids):032x}"
    form = {"MessageSid": sid, "SmsMessageSid": sid, "AccountSid": "AC" + "0" * 32,
            "From": sender, "To": "whatsapp:+14155238886", "Body": text, "NumMedia": "0",
            "SmsStatus": "received", "WaId": sender.removeprefix("whatsapp:+")}  # fmt: skip
    signature = RequestValidator(token).compute_signature(url, form)
    response = client.post(url, data=form, headers={"X-Twilio-Signature": signature})
    if response.status_code != 200:
        return f"[HTTP {response.status_code}] {response.text[:200]}"
    messages = ET.fromstring(response.text).iter("Message")  # noqa: S314 (our own gateway)
    return "\n".join(m.text or "" for m in messages)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--url", default="http://127.0.0.1:8000/webhooks/whatsapp")
    args = parser.parse_args()
    token = os.environ.get("TWILIO_AUTH_TOKEN")
    if not token:
        print("set TWILIO_AUTH_TOKEN to the gateway's", file=sys.stderr)
        return 2
    with httpx.Client(timeout=30) as client:
        for messages in conversations(args.file):
            sender = f"whatsapp:+1555{next(_numbers):07d}"
            print("=" * 72)
            for text in messages:
                started = time.perf_counter()
                answer = say(client, args.url, token, sender, text)
                took = (time.perf_counter() - started) * 1000
                print(f"> {text}\n[{took:.0f} ms]\n{answer}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
