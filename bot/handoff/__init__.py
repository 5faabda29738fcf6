"""The handoff: cases, the caseworker inbox's core, routing, retention of case text (issue 15).

| module | holds |
| --- | --- |
| `models.py` | `Case`, `CaseMessage`, `SavedReply`, `CaseAddress` (on the store's `Base`) |
| `addresses.py` | the person's raw address, Fernet-encrypted (MultiFernet: keys rotate) |
| `hours.py` | opening hours in an organisation's time zone: open now? opens when? |
| `routing.py` | which organisation answers a person's country and language |
| `cases.py` | the service: open, claim, reply, note, close, escalate, inbox, counts |
| `retention.py` | case text removed after closing, and at once on a deletion request |

No web pages and no pipeline wiring here: the workspace and the pipeline call this API.
Importing the package registers the tables on `bot.store.models.Base`.
"""

from bot.handoff import models as models  # noqa: F401 - registers the tables on Base
