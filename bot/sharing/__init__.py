"""Sharing the assistant (issue 18): campaigns a partner makes, their links, QR codes and
printable card, and the arrivals they bring, counted without anyone's identity.

| module | holds |
| --- | --- |
| `models.py` | the `campaigns` table and `campaign_arrivals` (one count per campaign and day) |
| `campaigns.py` | making a campaign (its unguessable code), finding it by code, counting arrivals |
| `links.py` | the Telegram deep link and the WhatsApp click-to-chat link with its prefilled text |
| `qr.py` | the links' QR codes, PNG and SVG (segno) |
| `card.py` | the printable A5 card: QR, the assistant's name, three published safety messages |
| `arrivals.py` | at the channels' edge: a message carrying a code counted, the code taken out |
| `forward.py` | "Share this": the last answer's forwardable text and the assistant's link |
| `events.py` | insights' day counters and unanswered texts, written with the conversation |
| `insights.py` | the insights' figures, small-cell suppression ("<5", "*"), their CSV |
| `charts.py` | the insights' bar charts as SVG drawn on the server |

The workspace's pages are bot/workspace/routes/campaigns.py; docs/sharing.md tells a diaspora
group how to use them.
"""

from bot.sharing import models as models  # noqa: F401 - registers the tables on Base
