"""WhatsApp through Twilio, whole: payloads, rendering, sending, the 24-hour window, routes.

| module | holds |
| --- | --- |
| `payloads.py` | Twilio's webhook forms → `Inbound`, delivery statuses (samples in comments) |
| `render.py` | replies → message payloads (1,600 characters, numbered options, templates) |
| `send.py` | the outbox's sender through Twilio's Messages API, errors as retry decisions |
| `window.py` | WhatsApp's 24-hour window and later messages (`python -m bot whatsapp send`) |
| `routes.py` | `POST /webhooks/whatsapp` and `/webhooks/whatsapp/status`: verify → parse → answer |
"""

CHANNEL = "whatsapp"
