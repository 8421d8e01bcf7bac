"""Charts say what they draw: the threshold as a line where it falls, groups left out drawn apart,
driving groups named, and axes scaled to the values."""

from __future__ import annotations

import re

from conformance.report.charts import _extent, bar_chart, charts_for, group_chart, threshold_line
from conformance.report.html import render_html
from conformance.locale import Words
from conformance.result import GroupValue, Interval, Measurement

T = Words("en")


def selection(metric: str = "ratio") -> Measurement:
    groups = [GroupValue(group="a", n=120, value=0.5, ci=Interval(low=0.4, high=0.6, level=0.95)),
              GroupValue(group="b", n=200, value=0.8, ci=Interval(low=0.74, high=0.86, level=0.95)),
              GroupValue(group="tiny", n=9, value=0.3, ci=Interval(low=0.1, high=0.6, level=0.95))]
    return Measurement(check="fairness.demographic_parity", metric=metric, attribute="sex", value=0.625, groups=groups,
                       excluded_groups=["tiny: n=9 < min_group_size 30"],
                       driver="lowest selection_rate: a (0.500); highest: b (0.800)")


def line_x(svg: str) -> float:
    return float(re.search(r'<line x1="([\d.]+)"[^>]*stroke="#a4161a"', svg).group(1))


def test_ratio_threshold_is_drawn_at_ratio_times_the_highest_kept_group():
    value, label = threshold_line(selection(), (0.8, None), T)
    assert value == 0.8 * 0.8  # the 'tiny' group is left out: not the highest of the kept groups
    assert "0.800 × highest group = 0.640" in label
    svg = group_chart("c", selection(), T, (0.8, None))
    lo, hi = _extent([0.0, 0.86, 0.64])
    assert abs(line_x(svg) - (170 + (0.64 - lo) / (hi - lo) * 330)) < 0.1


def test_difference_and_maximum_thresholds():
    assert threshold_line(selection("difference"), (None, 0.2), T)[0] == 0.8 - 0.2
    psi = Measurement(check="x", metric="max_psi", value=0.05, groups=[GroupValue(group="f", n=10, value=0.05)])
    assert threshold_line(psi, (None, 0.25), T)[0] == 0.25
    assert threshold_line(psi, (0.1, None), T) is None  # a minimum on a maximum: nothing meaningful to draw


def test_left_out_groups_are_drawn_apart_and_labelled_and_drivers_bold():
    svg = group_chart("c", selection(), T, (0.8, None))
    assert svg.count('fill="#bdbdbd"') == 1
    assert "tiny: 0.300 [0.100, 0.600] n=9 (n=9 &lt; min_group_size 30)" in svg  # the description says why
    assert "left out: too small" in svg
    bold = re.findall(r'font-weight="700">([^<]+)<', svg)
    assert bold == ["a", "b"]


def test_axis_is_scaled_to_small_values():
    assert _extent([0.05, 0.01])[1] < 0.06
    assert _extent([0.7, 0.9]) == (0.0, 1.0)
    assert _extent([0.0, 120.0])[1] > 120


def test_title_says_what_is_drawn():
    caption, _ = charts_for("c", [selection()], T, {("ratio", None): (0.8, None)})[0]
    assert caption.startswith("Selection rate by group (sex), with 95% confidence intervals")
    assert "threshold" in caption


def test_a_combined_disparity_bound_draws_its_line_on_each_component():
    """Equalized odds is judged on `difference` (the worse of the TPR and FPR gaps, no groups of its
    own): the same bound holds for each gap, so the TPR and FPR charts carry its line."""
    def component(metric: str, low: float, high: float) -> Measurement:
        quantity = metric.split("_")[0]
        return Measurement(check="fairness.equalized_odds", metric=metric, attribute="sex", value=high - low,
                           groups=[GroupValue(group="a", n=100, value=low), GroupValue(group="b", n=100, value=high)],
                           driver=f"lowest {quantity}: a ({low:.3f}); highest: b ({high:.3f})")
    tpr, fpr = component("tpr_difference", 0.84, 0.92), component("fpr_difference", 0.55, 0.57)
    combined = Measurement(check="fairness.equalized_odds", metric="difference", attribute="sex", value=0.08)
    charts = charts_for("c", [tpr, fpr, combined], T, {("difference", "sex"): (None, 0.1)})
    assert len(charts) == 2
    for (caption, svg), top in zip(charts, (0.92, 0.57)):
        assert "#a4161a" in svg and "threshold" in caption
        assert threshold_line(tpr if top == 0.92 else fpr, (None, 0.1), T)[0] == top - 0.1
    assert all("#a4161a" not in svg for _, svg in charts_for("c", [tpr, fpr, combined], T, {("ratio", "sex"): (None, 0.1)}))


def test_chart_without_threshold_has_no_line():
    assert "#a4161a" not in bar_chart("c", "t", list(selection().groups), T)


def test_demo_report_charts_and_certificate(demo_result):
    page = render_html(demo_result)
    assert page.count('stroke="#a4161a"') >= 3  # the four-fifths line on each selection-rate chart
    inputs = {i.role: i.sha256 for i in demo_result.evidence.manifest.inputs}
    assert inputs["model"] in page and inputs["data"] in page
    assert "German Credit demo scorer" in page and "version 1.0" in page
    assert "<details" in page and "<details class=\"check\" id=\"check-0\" open" not in page
    assert "<details class=\"check\" id=\"check-0\" open" in render_html(demo_result, unfolded=True)
    findings = page[page.index('id="findings"'):page.index('id="requirements"')]
    assert 'href="#check-' in findings and 'href="#req-' in findings
