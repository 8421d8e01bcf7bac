"""A Python function as the model: ``--model package.module:function`` (with ``--trust-model``).

The contract. The function takes a pandas DataFrame (the model's input columns, one row per
audited row) and returns one of:

- labels: a sequence of length n using the target's labels (or numbers, for a regression);
- ``(labels, scores)``: scores either a 1-D sequence, the probability of the *positive* label, or
  a DataFrame of probabilities with one column per class, named by the class label;
- a DataFrame of probabilities with one column per class: the labels are each row's arg max.

Optional attributes on the function: ``feature_names`` (the columns it needs, in order; default:
the data's features) and ``classes`` (the class labels, for 1-D scores: default, the target's two
labels are inferred from the positive label the audit asks for).
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from conformance.errors import ModelError

SPEC = re.compile(r"^(?P<module>[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*):(?P<function>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)$")


def is_callable_spec(text: str) -> bool:
    return SPEC.match(text) is not None


@contextmanager
def _cwd_on_path():
    """Let ``mymodel:predict`` import ``./mymodel.py`` as ``python -m`` would."""
    cwd = str(Path.cwd())
    added = cwd not in sys.path
    if added:
        sys.path.insert(0, cwd)
    try:
        yield
    finally:
        if added and cwd in sys.path:
            sys.path.remove(cwd)


class CallableModel:
    """A function behind ``predict``, ``predict_proba``, ``classes_``, ``feature_names_in_``."""

    def __init__(self, function: Callable[[pd.DataFrame], Any], spec: str, source: Path | None) -> None:
        self.function = function
        self.spec = spec
        self.source = source
        names = getattr(function, "feature_names", None)
        self.feature_names_in_ = None if names is None else [str(n) for n in names]
        classes = getattr(function, "classes", None)
        self.classes_ = None if classes is None else list(classes)
        self._cache: tuple[Any, tuple[np.ndarray, Any]] | None = None

    def _outputs(self, features: pd.DataFrame) -> tuple[np.ndarray, Any]:
        if self._cache is not None and self._cache[0] is features:
            return self._cache[1]
        result = self.function(features)
        scores: Any = None
        if isinstance(result, tuple):
            if len(result) != 2:
                raise ModelError(f"{self.spec} returned a tuple of {len(result)}; the contract is labels or (labels, scores)")
            labels, scores = result
            labels = np.asarray(labels)
        elif isinstance(result, pd.DataFrame):
            scores = result
            labels = np.asarray(result.columns, dtype=object)[result.to_numpy(dtype=float).argmax(axis=1)]
        else:
            labels = np.asarray(result)
        if labels.ndim != 1 or len(labels) != len(features):
            raise ModelError(
                f"{self.spec} returned labels of shape {labels.shape} for {len(features)} rows",
                "return one label per row (see docs/models.md for the callable contract)",
            )
        if isinstance(scores, pd.DataFrame):
            self.classes_ = list(scores.columns)
        self._cache = (features, (labels, scores))
        return labels, scores

    @property
    def has_probabilities(self) -> bool:
        return True  # known only once it has run; predict_scores copes with None

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        return self._outputs(features)[0]

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray | None:
        _, scores = self._outputs(features)
        if scores is None:
            return None
        if isinstance(scores, pd.DataFrame):
            return scores.to_numpy(dtype=float)
        values = np.asarray(scores, dtype=float)
        if values.ndim == 2:
            return values
        if values.ndim != 1 or len(values) != len(features):
            raise ModelError(f"{self.spec} returned scores of shape {values.shape} for {len(features)} rows")
        return values  # 1-D: probability of the positive label, see Predictor.predict_scores


def load_callable(spec: str) -> CallableModel:
    match = SPEC.match(spec)
    if match is None:
        raise ModelError(f"'{spec}' is not a callable reference", "write it as package.module:function")
    module_name, attribute = match["module"], match["function"]
    try:
        with _cwd_on_path():
            module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ModelError(
            f"cannot import module '{module_name}' for --model {spec}: {exc}",
            "install the package, or run from the folder that holds the module",
        ) from exc
    target: Any = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise ModelError(f"module '{module_name}' has no attribute '{attribute}'", f"check the name after ':' in {spec}")
        target = getattr(target, part)
    if not callable(target):
        raise ModelError(f"{spec} is not callable", "give a function that maps a DataFrame to labels")
    source = getattr(module, "__file__", None)
    return CallableModel(target, spec, Path(source) if source else None)
