"""Inline SVG charts for the HTML report, drawn in Python: no script, no external request.

Every chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` that states its numbers
in words, so a screen reader (and a text extractor) gets what the picture shows. Colour never
carries meaning on its own: values are printed beside every bar.
"""

from __future__ import annotations

import math
from html import escape

from conformance.locale import Words
from conformance.report.words import fmt
from conformance.result import GroupValue, Measurement

WIDTH = 800  # room right of the plot for 'value [CI] n=… · left out' labels
LABEL_W = 170
PLOT_W = 330
ROW_H = 22
TOP = 24  # room above the bars for the threshold's label
LINE = "#a4161a"
LEFT_OUT = "#bdbdbd"
BAR = "#3b6ea5"
WHISKER = "#1b1b1b"
GRID = "#d0d0d0"


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _clip(text: str, limit: int = 26) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _extent(values: list[float]) -> tuple[float, float]:
    """The axis range: from zero (bars start there) to just past the largest value, so a PSI of
    0.05 is not a sliver on a 0–1 axis; proportions above one half keep the whole 0–1 axis."""
    lo, hi = min([0.0, *values]), max([0.0, *values])
    if hi == lo:
        hi = lo + 1.0
    if lo >= 0 and 0.5 < hi <= 1:
        return 0.0, 1.0
    pad = (hi - lo) * 0.08
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


def bar_chart(chart_id: str, title: str, groups: list[GroupValue], t: Words, line: tuple[float, str] | None = None,
              left_out: dict[str, str] | None = None, driving: tuple[str, ...] = ()) -> str:
    """Horizontal bars, one per group, with confidence-interval whiskers and the numbers printed.

    ``line`` draws the threshold as a vertical line with its label; groups in ``left_out`` (left
    out of the value as too small, with the reason) are drawn grey and labelled; ``driving``
    groups (lowest and highest) have bold labels.
    """
    left_out = left_out or {}
    values: list[float] = []
    for g in groups:
        values += [v for v in (g.value, g.ci.low if g.ci else None, g.ci.high if g.ci else None) if v is not None]
    if line is not None:
        values.append(line[0])
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
        weight = ' font-weight="700"' if g.group in driving else ""
        body.append(f'<text x="{LABEL_W - 6}" y="{mid + 4:.1f}" font-size="12" text-anchor="end"{weight}>{escape(_clip(g.group))}</text>')
        excluded = g.group in left_out
        if g.value is not None:
            left, right = sorted((zero, x(g.value)))
            fill = f'fill="{LEFT_OUT}" stroke="#777" stroke-dasharray="3 2"' if excluded else f'fill="{BAR}"'
            body.append(
                f'<rect x="{left:.1f}" y="{y + 4}" width="{max(right - left, 1):.1f}" height="{ROW_H - 8}" {fill}>'
                f"<title>{escape(g.group)}: {escape(_group_text(g))}</title></rect>"
            )
        if g.ci is not None and g.ci.low is not None and g.ci.high is not None:
            a, b = x(g.ci.low), x(g.ci.high)
            body.append(
                f'<path d="M{a:.1f},{mid:.1f}H{b:.1f}M{a:.1f},{mid - 5:.1f}V{mid + 5:.1f}M{b:.1f},{mid - 5:.1f}V{mid + 5:.1f}" '
                f'stroke="{WHISKER}" stroke-width="1.5" fill="none"/>'
            )
        text = _group_text(g) + (f" · {t('text.left_out')}" if excluded else "")
        body.append(f'<text x="{LABEL_W + PLOT_W + 8}" y="{mid + 4:.1f}" font-size="11">{escape(text)}</text>')
    if line is not None:
        lx = x(line[0])
        anchor = "end" if lx > LABEL_W + PLOT_W * 0.6 else "start"
        nudge = -4 if anchor == "end" else 4
        body.append(f'<line x1="{lx:.1f}" y1="{TOP - 4}" x2="{lx:.1f}" y2="{height - 22}" stroke="{LINE}" stroke-width="2" stroke-dasharray="6 3"/>')
        body.append(f'<text x="{lx + nudge:.1f}" y="{TOP - 8}" font-size="11" fill="{LINE}" text-anchor="{anchor}">{escape(line[1])}</text>')
    desc = "; ".join(f"{g.group}: {_group_text(g)}" + (f" ({left_out[g.group]})" if g.group in left_out else "") for g in groups)
    if line is not None:
        desc += f". {line[1]}"
    return _svg(chart_id, title, desc, height, body)


def _quantity(m: Measurement) -> str | None:
    """What the group values are (``selection_rate``, ``tpr``…), as the check names it in ``driver``."""
    import re

    found = re.match(r"lowest (\w+):", m.driver or "")
    return found.group(1) if found else None


def _driving(m: Measurement) -> tuple[str, ...]:
    import re

    return tuple(re.findall(r"(?:lowest \w+|highest(?: \w+)?): (.+?) \(", m.driver or ""))


def _left_out(m: Measurement, t: Words | None = None) -> dict[str, str]:
    """Groups left out of the value, by name, with the reason the check gives (in ``t``'s language)."""
    shown = t.excluded(m) if t is not None else list(m.excluded_groups)
    out = {}
    for text, said in zip(m.excluded_groups, shown):
        name, _, reason = text.partition(": ")
        out[name] = reason if said == text else said
    return out


def _limit(m: Measurement, limits: dict) -> tuple[float | None, float | None] | None:
    """The bound a requirement sets on this measurement. A requirement on a combined disparity
    (equalized odds' ``difference``: the worse of the TPR and FPR gaps) bounds each component
    (``tpr_difference``, ``fpr_difference``) by the same number, so their charts carry its line."""
    names = [m.metric]
    head, _, kind = m.metric.rpartition("_")
    if head and kind in ("difference", "ratio"):
        names.append(kind)
    for name in names:
        for key in ((name, m.attribute), (name, None)):
            if key in limits:
                return limits[key]
    return None


def threshold_line(m: Measurement, limit: tuple[float | None, float | None], t: Words) -> tuple[float, str] | None:
    """Where a requirement's threshold falls among the group values, with its label.

    A ratio criterion (min r) is met by groups at or above r × the highest group; a difference
    criterion (max d) by groups at or above the highest group − d; a threshold on a group count
    or share is drawn where it is.
    """
    minimum, maximum = limit
    values = [g.value for g in m.groups if g.value is not None and g.group not in _left_out(m)]
    if not values:
        return None
    top = max(values)
    if m.metric.endswith("ratio") and minimum is not None:
        return minimum * top, t("text.line_ratio", ratio=fmt(minimum), value=fmt(minimum * top))
    if m.metric.endswith("difference") and maximum is not None:
        return top - maximum, t("text.line_difference", difference=fmt(maximum), value=fmt(top - maximum))
    if m.metric.startswith("min_") and minimum is not None:  # the smallest group must reach it
        return minimum, t("text.line_min", value=fmt(minimum))
    if m.metric.startswith("max_") and maximum is not None:  # the largest must stay within it
        return maximum, t("text.line_max", value=fmt(maximum))
    return None


def group_title(m: Measurement, t: Words) -> str:
    quantity = _quantity(m)
    attribute = m.attribute or t("text.overall")
    levels = {g.ci.level for g in m.groups if g.ci is not None}
    if quantity:
        title = t("text.chart_quantity", quantity=t.metric_name(quantity), attribute=attribute)
    elif m.attribute:
        title = t("text.chart_groups", metric=t.metric_name(m.metric), attribute=attribute)
    else:
        title = t("text.chart_items", metric=t.metric_name(m.metric))
    if len(levels) == 1:
        title += t("sep.comma") + t("text.with_ci", level=f"{levels.pop() * 100:.0f}")
    return title


def group_chart(chart_id: str, m: Measurement, t: Words, limit: tuple[float | None, float | None] | None = None) -> str:
    """Any measurement with groups: per-group values with their CI bars, the threshold where one applies."""
    line = threshold_line(m, limit, t) if limit else None
    return bar_chart(chart_id, group_title(m, t), list(m.groups), t, line=line, left_out=_left_out(m, t), driving=_driving(m))


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


def _judged(m: Measurement, limits: dict) -> bool:
    return _limit(m, limits) is not None


IMPORTANCE_METRICS = ("mean_abs_shap", "importance", "mean_importance", "permutation_importance")


def charts_for(prefix: str, measurements: list[Measurement], t: Words,
               limits: dict[tuple[str, str | None], tuple[float | None, float | None]] | None = None) -> list[tuple[str, str]]:
    """Every chart a check's measurements call for, as (caption, svg); each group table drawn once.

    ``limits`` maps (metric, attribute) to the (min, max) of a requirement judging that metric:
    the chart of the measurement a requirement judges carries its threshold line.
    """
    limits = limits or {}
    charts: list[tuple[str, str]] = []
    by_metric = {m.metric: m for m in measurements}
    used: set[str] = set()
    predicted, observed = by_metric.get("mean_predicted"), by_metric.get("observed_rate")
    if predicted is not None and observed is not None and predicted.groups and observed.groups:
        charts.append((t("text.chart_calibration"), calibration_chart(f"{prefix}-cal", predicted, observed, t)))
        used |= {"mean_predicted", "observed_rate"}
    chosen: dict[str, tuple[int, Measurement]] = {}  # one chart per group table: the measurement a requirement judges, if any
    for index, m in enumerate(measurements):
        if not m.groups or m.metric in used:
            continue
        key = f"{m.attribute}:{[(g.group, g.value) for g in m.groups]}"
        if key not in chosen or (_judged(m, limits) and not _judged(chosen[key][1], limits)):
            chosen[key] = (index, m)
    for index, m in sorted(chosen.values(), key=lambda pair: pair[0]):
        chart_id = f"{prefix}-{index}"
        limit = _limit(m, limits)
        if m.metric in IMPORTANCE_METRICS:
            charts.append((importance_title(m, t), importance_chart(chart_id, m, t)))
        else:
            caption = group_title(m, t)
            if limit is not None and threshold_line(m, limit, t) is not None:
                caption += t("sep.semicolon") + t("text.chart_judged", metric=t.metric_name(m.metric))
            charts.append((caption, group_chart(chart_id, m, t, limit)))
    return charts
