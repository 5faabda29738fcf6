"""Telegram through python-telegram-bot v22, whole: payloads, rendering, sending, routes.

| module | holds |
| --- | --- |
| `payloads.py` | an Update → `Incoming` (what it asks of us), its shape checked first; deep links |
| `render.py` | replies → sendMessage parameters (HTML, 4,096 characters, inline keyboards) |
| `send.py` | the outbox's sender through the Bot API, errors as retry decisions |
| `channel.py` | one Update handled: pipeline, outbox, campaign arrivals, callback answers |
| `runtime.py` | PTB's Application inside the gateway's lifespan (webhook or polling), dedup |
| `routes.py` | `POST /webhooks/telegram`: secret → JSON → shape → process → 200 |
"""

CHANNEL = "telegram"
