"""Small real data shipped with the package, for the demo and the tests (see LICENSE-DATA.md)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

GERMAN_CREDIT = "german_credit.csv"


def german_credit_path() -> Path:
    return Path(str(resources.files(__name__) / GERMAN_CREDIT))


def load_german_credit() -> pd.DataFrame:
    """UCI Statlog German Credit (1,000 applicants), with an ``age_group`` column derived from age.

    ``risk`` is 1 for good credit (the favourable outcome). ``age_group`` splits applicants at 25,
    the cut most fairness studies of this dataset use.
    """
    frame = pd.read_csv(german_credit_path())
    frame["age_group"] = frame["age"].map(lambda age: "under_25" if age < 25 else "25_and_over")
    return frame
