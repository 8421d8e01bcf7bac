"""XGBoost and LightGBM native model files, when those packages are installed.

Both save a *booster*: trees and an objective, without the scikit-learn wrapper's label encoder.
A classifier's classes are therefore the integers ``0 … K-1`` it was trained on, and the target
column of the data must use those integers. The objective decides what ``predict`` returns:

| objective | labels | probabilities |
|---|---|---|
| ``binary:logistic``, LightGBM ``binary``, ``cross_entropy`` | 1 when p ≥ 0.5, else 0 | p of class 1 |
| ``multi:softprob``, LightGBM ``multiclass``, ``multiclassova`` | arg max | one column per class |
| ``binary:hinge``, ``binary:logitraw``, ``multi:softmax`` | the booster's output | none |
| anything else (``reg:*``, ``regression``, ``huber``, …) | the values (a regressor) | none |
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from conformance.errors import ModelError


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _require(module: str, extra: str, path: Path) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ModelError(
            f"cannot load {path}: it is a {module} model and {module} is not installed",
            f"pip install 'conformance-audit[{extra}]'",
        ) from exc


class BoosterModel:
    """A native booster behind ``predict``, ``predict_proba``, ``classes_``, ``feature_names_in_``."""

    def __init__(self, path: Path, kind: str, booster: Any, objective: str, names: list[str] | None, n_classes: int) -> None:
        self.path = path
        self.kind = kind
        self.booster = booster
        self.objective = objective
        self.feature_names_in_ = names
        family = objective.split(":")[0].split(" ")[0]
        if objective == "binary:logistic" or (kind == "lightgbm" and family in ("binary", "cross_entropy", "xentropy")):
            self.mode, self.classes_ = "binary", [0, 1]
        elif objective == "multi:softprob" or (kind == "lightgbm" and family in ("multiclass", "softmax", "multiclassova", "ova")):
            self.mode, self.classes_ = "multi", list(range(n_classes))
        elif objective in ("binary:hinge", "binary:logitraw", "multi:softmax"):
            self.mode, self.classes_ = "labels", None
        else:
            self.mode, self.classes_ = "values", None

    @property
    def has_probabilities(self) -> bool:
        return self.mode in ("binary", "multi")

    def _raw(self, features: pd.DataFrame) -> np.ndarray:
        try:
            if self.kind == "xgboost":
                import xgboost as xgb

                categorical = [c for c, t in zip(features.columns, self.booster.feature_types or []) if t == "c"]
                frame = features.astype({c: "category" for c in categorical}) if categorical else features
                matrix = xgb.DMatrix(frame, enable_categorical=bool(categorical))
                return np.asarray(self.booster.predict(matrix))
            return np.asarray(self.booster.predict(features))
        except ModelError:
            raise
        except Exception as exc:
            raise ModelError(
                f"the {self.kind} model {self.path.name} failed on the data: {_first_line(exc)}",
                "check that the data's columns and types are those the model was trained on",
            ) from exc

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        raw = self._raw(features)
        if self.mode == "binary":
            return (raw.reshape(-1) >= 0.5).astype(np.int64)
        if self.mode == "multi":
            return raw.reshape(len(features), -1).argmax(axis=1)
        if self.objective == "binary:logitraw":
            return (raw.reshape(-1) > 0).astype(np.int64)
        if self.mode == "labels":
            return raw.reshape(-1).astype(np.int64)
        return raw.reshape(-1).astype(float)

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        raw = self._raw(features)
        if self.mode == "binary":
            p = raw.reshape(-1).astype(float)
            return np.column_stack([1 - p, p])
        if self.mode == "multi":
            return raw.reshape(len(features), -1).astype(float)
        raise ModelError(f"the {self.kind} model {self.path.name} (objective {self.objective}) gives no probabilities")


def load_xgboost(path: Path) -> BoosterModel:
    xgb = _require("xgboost", "xgboost", path)
    try:
        booster = xgb.Booster(model_file=str(path))
        config = json.loads(booster.save_config())
    except Exception as exc:
        raise ModelError(
            f"{path} is not a readable XGBoost model ({_first_line(exc)})",
            "save it with Booster.save_model to .ubj or .json, or check the file is complete",
        ) from exc
    learner = config.get("learner", {})
    objective = str(learner.get("objective", {}).get("name", "reg:squarederror"))
    n_classes = int(learner.get("learner_model_param", {}).get("num_class", 0) or 0)
    return BoosterModel(path, "xgboost", booster, objective, booster.feature_names, max(n_classes, 2))


def load_lightgbm(path: Path) -> BoosterModel:
    lgb = _require("lightgbm", "lightgbm", path)
    try:
        booster = lgb.Booster(model_file=str(path))
        dumped = booster.dump_model(num_iteration=0)
    except Exception as exc:
        raise ModelError(
            f"{path} is not a readable LightGBM model ({_first_line(exc)})",
            "save it with Booster.save_model, or check the file is complete",
        ) from exc
    objective = str(dumped.get("objective", "regression"))
    n_classes = int(dumped.get("num_class", 1) or 1)
    return BoosterModel(path, "lightgbm", booster, objective, booster.feature_name(), max(n_classes, 2))


def is_xgboost_json(path: Path) -> bool:
    """A ``.json`` file saved by XGBoost: a JSON object whose first key is ``learner``."""
    with open(path, "rb") as handle:
        head = handle.read(64).lstrip()
    return head.startswith(b'{"learner"') or head.startswith(b'{ "learner"')
