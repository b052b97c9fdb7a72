"""A report as one self-contained HTML file: inline CSS, Plotly charts, plotly.js inlined.

The file makes no network request: plotly.js comes from the installed ``plotly`` package.
"""

from __future__ import annotations

import html
import math
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

if TYPE_CHECKING:
    import pyarrow as pa

    from shopscope.insight.report import Report

__all__ = ["report_html"]

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1f2933;
background:#f5f7fa}main{max-width:1180px;margin:0 auto;padding:24px}
h1{font-size:1.6rem;margin:0 0 4px}h2{font-size:1.15rem;margin:28px 0 8px}
.sub{color:#52606d;margin:0 0 16px}.cards{display:grid;grid-template-columns:
repeat(auto-fill,minmax(170px,1fr));gap:10px}.card{background:#fff;border-radius:8px;
padding:12px;box-shadow:0 1px 2px rgba(0,0,0,.08)}.card .k{color:#52606d;font-size:.8rem}
.card .v{font-size:1.3rem;font-weight:600}.up{color:#0e7c3a}.down{color:#b42318}
.na{color:#7b8794;font-size:.8rem}table{border-collapse:collapse;background:#fff;width:100%;
font-size:.9rem}th,td{padding:6px 8px;border-bottom:1px solid #e4e7eb;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.grid{display:grid;
grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px}.panel{background:#fff;
border-radius:8px;padding:12px}.headline{background:#fff;border-left:4px solid #3e7bfa;
padding:12px;border-radius:4px}.notes li{color:#52606d}
"""


def _esc(value: Any) -> str:
    return html.escape(str(value))


def _fmt(value: Any, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        if unit == "ratio":
            return f"{value:.1%}"
        if unit == "count":
            return f"{value:,.0f}"
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _delta(rel: float | None) -> str:
    if rel is None or math.isnan(rel):
        return '<span class="na">no comparison</span>'
    css = "up" if rel >= 0 else "down"
    return f'<span class="{css}">{rel:+.1%}</span>'


def _table(data: pa.Table, *, limit: int = 20) -> str:
    cols = data.column_names
    rows = data.slice(0, limit).to_pylist()
    numeric = {c for c in cols if rows and isinstance(rows[0].get(c), int | float)}
    head = "".join(f'<th class="{"n" if c in numeric else ""}">{_esc(c)}</th>' for c in cols)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{"n" if c in numeric else ""}">{_esc(_fmt(r[c]))}</td>' for c in cols
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(fig: go.Figure) -> str:
    fig.update_layout(
        margin={"l": 40, "r": 10, "t": 30, "b": 40}, height=320, template="plotly_white"
    )
    return str(fig.to_html(full_html=False, include_plotlyjs=False, config={"responsive": True}))


def _kpi_cards(report: Report) -> str:
    cards = []
    for k in report.kpis:
        value = (
            _fmt(k.current, k.unit)
            if k.current is not None
            else f'<span class="na">{_esc(k.reason or "unavailable")}</span>'
        )
        cards.append(
            f'<div class="card"><div class="k">{_esc(k.label)}</div><div class="v">{value}</div>'
            f"<div>{_delta(k.delta_rel) if k.current is not None else ''}</div></div>"
        )
    return f'<div class="cards">{"".join(cards)}</div>'


def _series_chart(series: pa.Table) -> str:
    names = series.column_names
    x = series.column(names[0]).to_pylist()
    fig = go.Figure()
    for name in ("current", "previous"):
        if name in names:
            fig.add_trace(go.Scatter(x=x, y=series.column(name).to_pylist(), name=name))
    fig.update_layout(title="Net revenue")
    return _figure(fig)


def _drivers(report: Report) -> str:
    d = report.drivers
    if d is None:
        return ""
    parts = [
        f'<p class="headline">{_esc(d.headline)}</p>',
        "<p class='sub'>Revenue here is sales: order value less discounts, before returns "
        "(so it can differ from the net revenue card); it splits exactly into traffic × "
        "conversion × order value.</p>",
    ]
    if d.factors:
        fig = go.Figure(
            go.Bar(
                x=[f.factor.replace("_", " ") for f in d.factors],
                y=[f.contribution for f in d.factors],
                marker_color=["#0e7c3a" if f.contribution >= 0 else "#b42318" for f in d.factors],
            )
        )
        fig.update_layout(title="Revenue change by factor (LMDI)")
        parts.append(f'<div class="panel">{_figure(fig)}</div>')
    for dim, members in d.by_dimension.items():
        rows = "".join(
            f"<tr><td>{_esc(m.member)}</td><td class='n'>{_fmt(m.revenue_previous)}</td>"
            f"<td class='n'>{_fmt(m.revenue_current)}</td><td class='n'>{_fmt(m.contribution)}</td>"
            f"<td class='n'>{_fmt(m.share, 'ratio')}</td></tr>"
            for m in members[:6]
        )
        parts.append(
            f"<h3>{_esc(dim)}</h3><table><thead><tr><th>member</th><th class='n'>before</th>"
            "<th class='n'>now</th><th class='n'>change</th><th class='n'>share of change</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>"
        )
    return "".join(parts)


def _breakdowns(report: Report) -> str:
    panels = []
    for dim, table in report.breakdowns.items():
        names = table.column_names
        fig = go.Figure(
            go.Bar(x=table.column(names[0]).to_pylist(), y=table.column(names[1]).to_pylist())
        )
        fig.update_layout(title=f"{names[1].replace('_', ' ')} by {dim}")
        panels.append(f'<div class="panel">{_figure(fig)}{_table(table, limit=10)}</div>')
    return f'<div class="grid">{"".join(panels)}</div>'


def _cohorts(report: Report) -> str:
    parts = []
    m = report.cohorts
    if m is not None and m.retention is not None:
        z = [[None if math.isnan(v) else v for v in row] for row in m.retention.tolist()]
        fig = go.Figure(
            go.Heatmap(
                z=z,
                x=[f"+{i}" for i in range(len(z[0]) if z else 0)],
                y=[c.isoformat() for c in m.cohorts],
                colorscale="Blues",
                zmin=0,
                zmax=1,
            )
        )
        fig.update_layout(title="Customer retention by acquisition month", height=420)
        parts.append(f'<div class="panel">{_figure(fig)}</div>')
    if report.ltv is not None and report.ltv.num_rows:
        ltv = report.ltv
        value = next(c for c in ltv.column_names if c.startswith("cumulative"))
        fig = go.Figure()
        groups = ltv.column("group").to_pylist()
        periods = ltv.column("period").to_pylist()
        values = ltv.column(value).to_pylist()
        for g in dict.fromkeys(groups):
            pts = [(p, v) for gg, p, v in zip(groups, periods, values, strict=True) if gg == g]
            fig.add_trace(go.Scatter(x=[p for p, _ in pts], y=[v for _, v in pts], name=str(g)))
        fig.update_layout(title="Cumulative revenue per customer by acquisition channel")
        parts.append(f'<div class="panel">{_figure(fig)}</div>')
    return f'<div class="grid">{"".join(parts)}</div>'


def _anomalies(report: Report) -> str:
    if not report.anomalies:
        return "<p>No anomalies in this period.</p>"
    rows = "".join(
        f"<tr><td>{a.day}</td><td>{_esc(a.kpi)}</td><td class='n'>{_fmt(a.value)}</td>"
        f"<td class='n'>{_fmt(a.expected)}</td><td>{_delta(a.size)}</td>"
        f"<td>{_esc('; '.join(a.drivers))}</td></tr>"
        for a in report.anomalies
    )
    return (
        "<table><thead><tr><th>day</th><th>KPI</th><th class='n'>value</th>"
        "<th class='n'>expected</th><th>size</th><th>likely drivers</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def report_html(report: Report, *, title: str = "shopscope report") -> str:
    """The report as a complete HTML document with plotly.js inlined (works offline)."""
    sections = [
        f"<h1>{_esc(title)}</h1><p class='sub'>{report.period} compared with {report.previous}"
        f" ({_esc(report.compare)})</p>",
        "<h2>Key figures</h2>" + _kpi_cards(report),
    ]
    if report.series is not None:
        sections.append(f'<h2>Trend</h2><div class="panel">{_series_chart(report.series)}</div>')
    if report.drivers is not None:
        sections.append("<h2>Drivers of change</h2>" + _drivers(report))
    if report.breakdowns:
        sections.append("<h2>Breakdowns</h2>" + _breakdowns(report))
    if report.cohorts is not None or report.ltv is not None:
        sections.append("<h2>Cohorts</h2>" + _cohorts(report))
    sections.append("<h2>Anomalies</h2>" + _anomalies(report))
    if report.notes:
        items = "".join(f"<li>{_esc(n)}</li>" for n in report.notes)
        sections.append(f'<h2>Not shown</h2><ul class="notes">{items}</ul>')
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{_esc(title)}</title><style>{_CSS}</style>"
        f"<script>{get_plotlyjs()}</script></head><body><main>{''.join(sections)}</main>"
        "</body></html>"
    )
