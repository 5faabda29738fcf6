"""The web chat at /chat: replies rendered as safe HTML, quick replies as buttons.

Our Markdown subset (`*bold*`, `- ` bullets, blank-line paragraphs, bare URLs) becomes HTML
here; everything is escaped first, so content can never inject markup into the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from bot.replies import Reply

_BOLD = re.compile(r"\*([^*\n]+)\*")
_URL = re.compile(r"(https?://[^\s<]+[^\s<.,;:)])")


def _inline(escaped_line: str) -> str:
    line = _BOLD.sub(r"<strong>\1</strong>", escaped_line)
    return _URL.sub(r'<a href="\1" rel="noopener noreferrer" target="_blank">\1</a>', line)


def _paragraph(lines: list[str]) -> str:
    """Text lines joined by <br>; each run of "- " lines becomes one <ul>."""
    parts: list[str] = []
    bullets: list[str] = []
    for line in lines + [""]:
        if line.startswith("- "):
            bullets.append(f"<li>{_inline(line[2:])}</li>")
            continue
        if bullets:
            parts.append("<ul>" + "".join(bullets) + "</ul>")
            bullets = []
        if line:
            parts.append(f"<p>{_inline(line)}</p>")
    return "".join(parts)


def to_html(text: str) -> Markup:
    blocks = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        lines = [escape(line.strip(), quote=True) for line in paragraph.splitlines()]
        blocks.append(_paragraph([line for line in lines if line]))
    return Markup("".join(blocks))  # noqa: S704 - built from escaped text only


@dataclass(frozen=True)
class RenderedReply:
    html: Markup
    buttons: list[dict[str, str]]

    def as_json(self) -> dict[str, object]:
        return {"html": str(self.html), "buttons": self.buttons}


def render(reply: Reply) -> RenderedReply:
    return RenderedReply(
        html=to_html(reply.text),
        buttons=[{"title": b.title, "payload": b.payload} for b in reply.buttons],
    )
