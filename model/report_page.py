"""The self-contained HTML page every report is: one file, its figures embedded
as base64 PNG and its style inline, so it reads the same when emailed or
opened offline. The what-if report (`spread compare`) and the sweep report
(`spread analyse`) both write theirs with these pieces; files that sit beside
the page are linked by relative links."""

from __future__ import annotations

import base64
import html
import io
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

CSS = """
body{font-family:Georgia,'Times New Roman',serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em} h2{font-size:1.25em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.8em}
h3{font-size:1.05em;margin-bottom:.3em} .lede{color:#555}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.88em;font-family:Arial,Helvetica,sans-serif}
th,td{border:1px solid #ddd;padding:.3em .55em;text-align:left;vertical-align:top} th{background:#f3f3f3}
td.num{text-align:right;white-space:nowrap} .better{color:#1e8449;font-weight:bold} .worse{color:#c0392b;font-weight:bold}
.unclear{color:#666} .negligible{color:#999} img{max-width:100%;height:auto;border:1px solid #eee} .finding{margin:.5em 0 .8em}
.box{background:#f7f9fb;border-left:4px solid #1f6fb2;padding:.6em 1em;margin:1em 0} code{font-size:.9em}
.bottom{background:#fdf6e3;border-left:4px solid #b58900;padding:.6em 1em;margin:1em 0;font-size:1.05em}
.small{font-size:.85em;color:#555} .wide{overflow-x:auto}
"""

#: Resolution of embedded figures: at the page's 1,100-pixel width a 12-inch figure shows at its saved size.
DPI = 90


def escape(x) -> str:
    """Text for HTML."""
    return html.escape(str(x))


def png_base64(fig: Figure, dpi: int = DPI) -> str:
    """A matplotlib figure as base64 PNG text, the figure closed afterwards."""
    import matplotlib.pyplot as plt
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def file_base64(data: bytes) -> str:
    """Bytes of a PNG file as base64 text."""
    return base64.b64encode(data).decode("ascii")


def figure(b64: str, caption: str) -> str:
    """An embedded PNG with its caption."""
    return (f'<figure><img src="data:image/png;base64,{b64}" alt="{escape(caption)}">'
            f'<figcaption class="small">{escape(caption)}</figcaption></figure>')


def link(name: str, text: str | None = None) -> str:
    """A relative link to a file beside the page (it travels with the page's folder, not inside it)."""
    return f"<a href='{escape(name)}'>{escape(text or name)}</a>"


def table(df: pd.DataFrame, numeric: Iterable[str] = ()) -> str:
    """A plain table of ``df``'s cells as text; columns in ``numeric`` right-aligned."""
    num = set(numeric)
    # a column name like lead_time_change_rest_final may break after its underscores
    head = "".join(f"<th>{escape(c).replace('_', '_<wbr>')}</th>" for c in df.columns)
    body = []
    for row in df.itertuples(index=False):
        cells = "".join(f"<td class='num'>{escape(v)}</td>" if c in num else f"<td>{escape(v)}</td>"
                        for c, v in zip(df.columns, row))
        body.append(f"<tr>{cells}</tr>")
    return f"<div class='wide'><table><tr>{head}</tr>{''.join(body)}</table></div>"


def page(title: str, body: Iterable[str]) -> str:
    """The whole page: head with inline style, then ``body``'s parts in order."""
    return "\n".join(["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
                      "<meta name='viewport' content='width=device-width, initial-scale=1'>",
                      f"<title>{escape(title)}</title>", f"<style>{CSS}</style></head><body>",
                      *body, "</body></html>"])
