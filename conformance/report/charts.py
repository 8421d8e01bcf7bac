"""Inline SVG charts for the HTML report, drawn in Python: no script, no external request.

Every chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` that states its numbers
in words, so a screen reader (and a text extractor) gets what the picture shows. Colour never
carries meaning on its own: values are printed beside every bar.
"""

from __future__ import annotations

import math
from html import escape

from conformance.report.i18n import Words
from conformance.report.words import fmt
from conformance.result import GroupValue, Measurement

WIDTH = 680
LABEL_W = 170
PLOT_W = 330
ROW_H = 22
TOP = 8
BAR = "#3b6ea5"
WHISKER = "#1b1b1b"
GRID = "#d0d0d0"


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _clip(text: str, limit: int = 26) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _extent(values: list[float]) -> tuple[float, float]:
    lo, hi = min([0.0, *values]), max([0.0, *values])
    if lo >= 0 and hi <= 1:
        return 0.0, 1.0
    if hi == lo:
        hi = lo + 1.0
    pad = (hi - lo) * 0.05
    return (lo - pad if lo < 0 else lo), hi + pad


def _ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    raw = (hi - lo) / count
    step = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    for mult in (1, 2, 2.5, 5, 10):
        if raw <= step * mult:
            step *= mult
            break
    first = math.ceil(lo / step) * step
    ticks = []
    value = first
    while value <= hi + 1e-12:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _svg(chart_id: str, title: str, desc: str, height: int, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" aria-labelledby="{chart_id}-t {chart_id}-d">'
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(desc)}</desc>'
        + "".join(body) + "</svg>"
    )


def _group_text(g: GroupValue) -> str:
    text = fmt(g.value)
    if g.ci is not None and g.ci.low is not None and g.ci.high is not None:
        text += f" [{fmt(g.ci.low)}, {fmt(g.ci.high)}]"
    return f"{text} n={g.n}"


def bar_chart(chart_id: str, title: str, groups: list[GroupValue], t: Words) -> str:
    """Horizontal bars, one per group, with confidence-interval whiskers and the numbers printed."""
    values: list[float] = []
    for g in groups:
        values += [v for v in (g.value, g.ci.low if g.ci else None, g.ci.high if g.ci else None) if v is not None]
    lo, hi = _extent(values)

    def x(v: float) -> float:
        return LABEL_W + (v - lo) / (hi - lo) * PLOT_W

    height = TOP + ROW_H * len(groups) + 28
    body = []
    for tick in _ticks(lo, hi):
        tx = x(tick)
        body.append(f'<line x1="{tx:.1f}" y1="{TOP}" x2="{tx:.1f}" y2="{height - 22}" stroke="{GRID}" stroke-width="1"/>')
        body.append(f'<text x="{tx:.1f}" y="{height - 8}" font-size="11" text-anchor="middle">{tick:g}</text>')
    zero = x(min(max(0.0, lo), hi))
    for i, g in enumerate(groups):
        y = TOP + i * ROW_H
        mid = y + ROW_H / 2
        body.append(f'<text x="{LABEL_W - 6}" y="{mid + 4:.1f}" font-size="12" text-anchor="end">{escape(_clip(g.group))}</text>')
        if g.value is not None:
            left, right = sorted((zero, x(g.value)))
            body.append(
                f'<rect x="{left:.1f}" y="{y + 4}" width="{max(right - left, 1):.1f}" height="{ROW_H - 8}" fill="{BAR}">'
                f"<title>{escape(g.group)}: {escape(_group_text(g))}</title></rect>"
            )
        if g.ci is not None and g.ci.low is not None and g.ci.high is not None:
            a, b = x(g.ci.low), x(g.ci.high)
            body.append(
                f'<path d="M{a:.1f},{mid:.1f}H{b:.1f}M{a:.1f},{mid - 5:.1f}V{mid + 5:.1f}M{b:.1f},{mid - 5:.1f}V{mid + 5:.1f}" '
                f'stroke="{WHISKER}" stroke-width="1.5" fill="none"/>'
            )
        body.append(f'<text x="{LABEL_W + PLOT_W + 8}" y="{mid + 4:.1f}" font-size="11">{escape(_group_text(g))}</text>')
    desc = "; ".join(f"{g.group}: {_group_text(g)}" for g in groups)
    return _svg(chart_id, title, desc, height, body)


def group_title(m: Measurement, t: Words) -> str:
    return t("text.chart_groups", metric=m.metric, attribute=m.attribute or t("text.overall"))


def group_chart(chart_id: str, m: Measurement, t: Words) -> str:
    """Any measurement with groups: per-group values with their CI bars."""
    return bar_chart(chart_id, group_title(m, t), list(m.groups), t)


def _ranked(m: Measurement, top: int) -> list[GroupValue]:
    return sorted((g for g in m.groups if g.value is not None), key=lambda g: -abs(g.value or 0.0))[:top]


def importance_title(m: Measurement, t: Words, top: int = 15) -> str:
    return t("text.chart_importance", metric=m.metric, count=len(_ranked(m, top)))


def importance_chart(chart_id: str, m: Measurement, t: Words, top: int = 15) -> str:
    """Feature importance: the largest values first."""
    return bar_chart(chart_id, importance_title(m, t, top), _ranked(m, top), t)


def calibration_chart(chart_id: str, predicted: Measurement, observed: Measurement, t: Words) -> str:
    """Reliability diagram: observed rate against mean predicted score per bin, with CI bars and the diagonal."""
    size, left, top = 300, 60, 10
    means = {g.group: g for g in predicted.groups}
    points = [(means[g.group], g) for g in observed.groups if g.group in means and g.value is not None and means[g.group].value is not None]

    def px(v: float) -> float:
        return left + v * size

    def py(v: float) -> float:
        return top + (1 - v) * size

    body = [f'<rect x="{left}" y="{top}" width="{size}" height="{size}" fill="none" stroke="{GRID}"/>']
    for tick in (0, 0.25, 0.5, 0.75, 1):
        body.append(f'<text x="{px(tick):.1f}" y="{top + size + 16}" font-size="11" text-anchor="middle">{tick:g}</text>')
        body.append(f'<text x="{left - 6}" y="{py(tick) + 4:.1f}" font-size="11" text-anchor="end">{tick:g}</text>')
    body.append(f'<line x1="{px(0)}" y1="{py(0)}" x2="{px(1)}" y2="{py(1)}" stroke="#888" stroke-dasharray="4 3"/>')
    body.append(f'<text x="{px(0.62):.1f}" y="{py(0.55):.1f}" font-size="10" fill="#555">{escape(t("text.diagonal"))}</text>')
    path = []
    for mean, obs in points:
        cx, cy = px(mean.value), py(obs.value)
        path.append(f"{cx:.1f},{cy:.1f}")
        if obs.ci is not None and obs.ci.low is not None and obs.ci.high is not None:
            body.append(f'<line x1="{cx:.1f}" y1="{py(obs.ci.low):.1f}" x2="{cx:.1f}" y2="{py(obs.ci.high):.1f}" stroke="{WHISKER}"/>')
        body.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" fill="{BAR}"><title>{escape(obs.group)}: '
                    f'{escape(t("text.mean_predicted"))} {fmt(mean.value)}, {escape(t("text.observed_rate"))} {escape(_group_text(obs))}</title></circle>')
    if len(path) > 1:
        body.insert(1, f'<polyline points="{" ".join(path)}" fill="none" stroke="{BAR}" stroke-width="1.5"/>')
    body.append(f'<text x="{px(0.5):.1f}" y="{top + size + 32}" font-size="11" text-anchor="middle">{escape(t("text.mean_predicted"))}</text>')
    body.append(f'<text x="14" y="{py(0.5):.1f}" font-size="11" text-anchor="middle" '
                f'transform="rotate(-90 14 {py(0.5):.1f})">{escape(t("text.observed_rate"))}</text>')
    desc = "; ".join(f"{obs.group}: {t('text.mean_predicted')} {fmt(mean.value)}, {t('text.observed_rate')} {_group_text(obs)}"
                     for mean, obs in points)
    return _svg(chart_id, t("text.chart_calibration"), desc, top + size + 42, body)


IMPORTANCE_METRICS = ("mean_abs_shap", "importance", "mean_importance", "permutation_importance")


def charts_for(prefix: str, measurements: list[Measurement], t: Words) -> list[tuple[str, str]]:
    """Every chart a check's measurements call for, as (caption, svg); each group table drawn once."""
    charts: list[tuple[str, str]] = []
    by_metric = {m.metric: m for m in measurements}
    used: set[str] = set()
    predicted, observed = by_metric.get("mean_predicted"), by_metric.get("observed_rate")
    if predicted is not None and observed is not None and predicted.groups and observed.groups:
        charts.append((t("text.chart_calibration"), calibration_chart(f"{prefix}-cal", predicted, observed, t)))
        used |= {"mean_predicted", "observed_rate"}
    seen: set[str] = set()
    for index, m in enumerate(measurements):
        if not m.groups or m.metric in used:
            continue
        key = f"{m.attribute}:{[(g.group, g.value) for g in m.groups]}"
        if key in seen:
            continue
        seen.add(key)
        chart_id = f"{prefix}-{index}"
        if m.metric in IMPORTANCE_METRICS:
            charts.append((importance_title(m, t), importance_chart(chart_id, m, t)))
        else:
            charts.append((group_title(m, t), group_chart(chart_id, m, t)))
    return charts
