"""Difference, ratio, distance from a reference, and impact ratios over the groups' rates."""

from __future__ import annotations

import numpy as np
import pytest

from conformance.stats.disparity import adverse_impact, against_reference, difference_and_ratio, impact_ratios

NAN = np.nan


def test_difference_and_ratio_ignore_undefined_groups():
    diff, ratio = difference_and_ratio(np.array([0.2, NAN, 0.5, 0.4]))
    assert diff == pytest.approx(0.3) and ratio == pytest.approx(0.4)
    diff, ratio = difference_and_ratio(np.array([0.2, NAN, NAN]))
    assert np.isnan(diff) and np.isnan(ratio)


def test_against_reference_is_symmetric_distance():
    rates = np.array([0.5, 0.2, 0.8, NAN])
    diff, ratio = against_reference(rates, 0)
    assert diff == pytest.approx(0.3)
    assert ratio == pytest.approx(min(0.2 / 0.5, 0.5 / 0.8))
    diff, ratio = against_reference(rates, 3)  # undefined reference
    assert np.isnan(diff) and np.isnan(ratio)
    diff, ratio = against_reference(np.array([0.5, NAN]), 0)  # nothing to compare with
    assert np.isnan(diff) and np.isnan(ratio)


def test_against_reference_over_resamples():
    rates = np.array([[0.5, 0.4, 0.7], [0.5, NAN, NAN], [0.3, 0.3, 0.3]])
    diff, ratio = against_reference(rates, 0)
    assert diff[0] == pytest.approx(0.2) and np.isnan(diff[1]) and diff[2] == 0
    assert ratio[0] == pytest.approx(0.5 / 0.7) and np.isnan(ratio[1]) and ratio[2] == 1


def test_impact_ratios_and_adverse_impact():
    rates = np.array([0.5, 0.2, 0.4, NAN])
    ratios, top = impact_ratios(rates)
    assert top == 0.5
    np.testing.assert_allclose(ratios[:3], [1.0, 0.4, 0.8])
    assert np.isnan(ratios[3])
    shortfall, smallest = adverse_impact(rates)
    assert shortfall == pytest.approx(0.3) and smallest == pytest.approx(0.4)
    assert [float(shortfall), float(smallest)] == pytest.approx([float(x) for x in difference_and_ratio(rates)])
    shortfall, smallest = adverse_impact(rates, reference=2)
    assert shortfall == pytest.approx(0.2) and smallest == pytest.approx(0.5)
    shortfall, smallest = adverse_impact(rates, reference=1)  # everyone above the reference
    assert shortfall == 0 and smallest == 1


def test_all_zero_rates_make_the_ratio_undefined():
    shortfall, smallest = adverse_impact(np.zeros(3))
    assert shortfall == 0 and np.isnan(smallest)
