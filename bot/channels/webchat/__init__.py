"""The web chat, whole: the page at /chat, its form and JSON routes, its rendering.

| module | holds |
| --- | --- |
| `render.py` | replies → safe HTML (escaped first) and buttons |
| `routes.py` | `GET /chat`, `POST /chat` (no JavaScript), `POST /chat/messages` (JSON) |
| `templates/`, `static/` | the page, its style and its small script |
"""

from bot.channels.base import Traits

CHANNEL = "web"
COOKIE_NAME = "chat_id"
# Nothing is pushed to a browser, so "stop" is a word to answer; buttons are tapped, not numbered.
TRAITS = Traits(opt_out=False, numbered_options=False)
