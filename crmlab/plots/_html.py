"""Bar charts drawn as HTML, for the classroom widgets.

A widget redraws at every move of its control. A matplotlib figure of the
kit's size takes 100–180 ms to draw and encode on a classroom laptop, so a
slider lags; an HTML table with bars takes a few milliseconds, stays sharp at
any zoom (a projector), and its text can be read by a screen reader. The bars
take the colours of the current matplotlib theme, so :func:`crmlab.use_theme`
(and its projector style) colours them as it colours the figures.
"""
from __future__ import annotations

from html import escape


def colours(n: int) -> list[str]:
    """The first ``n`` colours of the current matplotlib colour cycle, as CSS colours."""
    import matplotlib as mpl
    from matplotlib.colors import to_hex

    cycle = [to_hex(c["color"]) for c in mpl.rcParams["axes.prop_cycle"]]
    return [cycle[i % len(cycle)] for i in range(n)]


class Markup(str):
    """HTML that :func:`table` puts in a cell as it is (a bar, a legend swatch)."""


def bar(segments, *, scale: float, interval=None, width_em: float = 16.0) -> Markup:
    """One horizontal bar: ``segments`` (value, colour) stacked from the left, ``scale`` the value of
    the full width; ``interval`` (low, high) drawn as a whisker over it."""
    parts = "".join(f"<span style='display:inline-block;height:0.9em;width:{width_em * max(v, 0) / scale:.2f}em;"
                    f"background:{c}'></span>" for v, c in segments)
    whisker = ""
    if interval is not None:
        low, high = (min(max(x / scale, 0.0), 1.0) * width_em for x in interval)
        whisker = (f"<span style='position:absolute;left:{low:.2f}em;width:{max(high - low, 0.05):.2f}em;top:0.4em;"
                   "border-top:0.12em solid #222'></span>")
    return Markup(f"<span style='position:relative;display:inline-block;width:{width_em}em;white-space:nowrap;"
                  f"line-height:1.2em'>{parts}{whisker}</span>")


def table(header, rows, *, caption: str = "") -> str:
    """An HTML table: ``header`` a list of column titles, ``rows`` lists of cells (HTML,
    e.g. from :func:`bar`, or plain values, escaped); the caption above it (escaped unless Markup)."""
    def cell(value):
        return value if isinstance(value, Markup) else escape(str(value))

    head = "".join(f"<th style='text-align:left'>{cell(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td style='text-align:left'>{cell(v)}</td>" for v in row) + "</tr>"
                   for row in rows)
    title = f"<p><b>{cell(caption)}</b></p>" if caption else ""
    return f"{title}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def swatch(colour: str, label: str) -> Markup:
    """A legend entry: a coloured square and its label."""
    return Markup(f"<span style='display:inline-block;width:0.9em;height:0.9em;background:{colour};vertical-align:middle'>"
                  f"</span> {escape(label)}")
