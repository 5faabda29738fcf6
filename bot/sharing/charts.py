"""Bar charts as SVG drawn on the server, for the insights page (bot/sharing/insights.py).

Why by hand and not a charting library: the page needs two shapes (a bar per day, a bar per
value) that must show "<5" and "*" as marks rather than numbers, work without JavaScript and
load nothing from elsewhere. pygal draws SVG on the server too, but links its tooltips script
from a CDN unless told not to and brings its own styling to fight; sixty lines of SVG do not.
The SVG scales to the width it is given (a viewBox, width 100%), so it reads on a 360-px phone,
and every bar carries a <title> and the chart a text alternative for screen readers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from markupsafe import Markup, escape

from bot.sharing.insights import SMALL, Figure, State

DAY_WIDTH = 12
DAY_CHART_HEIGHT = 120
ROW_HEIGHT = 24
LABEL_WIDTH = 120
BAR_AREA = 170
VALUE_WIDTH = 40
LABEL_GAP = 4  # days between two labels of the day axis, so that they never overlap


def _height_of(figure: Figure) -> int:
    """What a bar stands for: a "<5" is drawn as high as 4 could be, a "*" not at all."""
    if figure.state is State.SMALL:
        return SMALL
    return figure.value if figure.state is State.SHOWN else 0


def day_bars(days: Sequence[tuple[dt.date, Figure]], label: str) -> Markup:
    """A bar per day; "<5" as a pale outlined bar, "*" as a mark on the axis."""
    top = max((_height_of(f) for _, f in days), default=0) or 1
    plot = DAY_CHART_HEIGHT - 20
    width = max(len(days), 1) * DAY_WIDTH
    parts = [
        f'<svg class="chart days" viewBox="0 0 {width} {DAY_CHART_HEIGHT}" width="100%" '
        f'role="img" aria-label="{escape(label)}">'
    ]
    for index, (day, figure) in enumerate(days):
        x = index * DAY_WIDTH + 1
        height = round(plot * _height_of(figure) / top)
        title = f"<title>{day.isoformat()}: {escape(figure.text)}</title>"
        if figure.state is State.HIDDEN:
            parts.append(
                f'<text class="hidden" x="{x + DAY_WIDTH / 2 - 1}" y="{plot + 12}" '
                f'text-anchor="middle">*{title}</text>'
            )
            continue
        css = "small" if figure.state is State.SMALL else "bar"
        parts.append(
            f'<rect class="{css}" x="{x}" y="{plot - height}" width="{DAY_WIDTH - 3}" '
            f'height="{height}">{title}</rect>'
        )
    labelled = -LABEL_GAP
    for index, (day, _) in enumerate(days):
        last = index == len(days) - 1
        wanted = day.day == 1 or index == 0 or last
        if wanted and index - labelled >= LABEL_GAP:
            labelled = index
            # The first label starts at its bar, so that it is not cut at the chart's edge.
            anchor, x = ("start", 0.0) if index == 0 else ("middle", (index + 0.5) * DAY_WIDTH)
            parts.append(
                f'<text class="axis" x="{x}" y="{DAY_CHART_HEIGHT - 2}" '
                f'text-anchor="{anchor}">{day:%m-%d}</text>'
            )
    parts.append(f'<line class="axis" x1="0" y1="{plot}" x2="{width}" y2="{plot}"/></svg>')
    return Markup("".join(parts))  # noqa: S704 - every name and mark escaped above


def value_bars(rows: Sequence[tuple[str, Figure]], label: str) -> Markup:
    """A horizontal bar per value (a language, a country), its number or mark at the end."""
    top = max((_height_of(f) for _, f in rows), default=0) or 1
    width = LABEL_WIDTH + BAR_AREA + VALUE_WIDTH
    height = max(len(rows), 1) * ROW_HEIGHT
    parts = [
        f'<svg class="chart values" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{escape(label)}">'
    ]
    for index, (name, figure) in enumerate(rows):
        y = index * ROW_HEIGHT
        length = round(BAR_AREA * _height_of(figure) / top)
        css = "small" if figure.state is State.SMALL else "bar"
        short = name if len(name) <= 18 else name[:17] + "…"
        parts.append(
            f'<text class="label" x="{LABEL_WIDTH - 6}" y="{y + 16}" text-anchor="end">'
            f"{escape(short)}<title>{escape(name)}</title></text>"
            f'<rect class="{css}" x="{LABEL_WIDTH}" y="{y + 4}" width="{length}" height="16">'
            f"<title>{escape(name)}: {escape(figure.text)}</title></rect>"
            f'<text class="number" x="{LABEL_WIDTH + length + 4}" y="{y + 16}">'
            f"{escape(figure.text)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every name and mark escaped above
