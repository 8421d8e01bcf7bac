"""Load a model file safely and wrap it as a :class:`Predictor`.

Model files are code. Each format has a loader in :data:`LOADERS`, chosen by file suffix; a new
format slots in by adding one entry. The default for scikit-learn is skops, which lists the types
a file would instantiate and refuses any that are not trusted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from conformance.errors import ModelError


@dataclass
class Predictor:
    """A fitted model behind a uniform interface: labels, and scores when the model has them."""

    estimator: Any
    description: str

    @property
    def feature_names(self) -> list[str] | None:
        names = getattr(self.estimator, "feature_names_in_", None)
        return None if names is None else [str(name) for name in names]

    @property
    def classes(self) -> list[Any] | None:
        classes = getattr(self.estimator, "classes_", None)
        return None if classes is None else list(classes)

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Predicted labels; any failure of the model becomes a ModelError naming it."""
        return np.asarray(self._call("predict", features))

    def predict_scores(self, features: pd.DataFrame, positive: Any) -> np.ndarray | None:
        """Probability of the positive label, or None when the model has no ``predict_proba``."""
        if not hasattr(self.estimator, "predict_proba") or self.classes is None:
            return None
        matches = [i for i, label in enumerate(self.classes) if str(label) == str(positive)]
        if not matches:
            return None
        proba = np.asarray(self._call("predict_proba", features))
        return proba[:, matches[0]].astype(float)

    def _call(self, method: str, features: pd.DataFrame) -> Any:
        try:
            return getattr(self.estimator, method)(features)
        except Exception as exc:  # the model is user code: any failure is a finding about it
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise ModelError(
                f"the model's {method} raised {type(exc).__name__}: {first}",
                "check that --data has the columns and types the model was trained on",
            ) from exc


def wrap_estimator(estimator: Any, description: str | None = None) -> Predictor:
    """Wrap an in-memory fitted estimator (the Python API's path)."""
    if not hasattr(estimator, "predict"):
        raise ModelError(f"{type(estimator).__name__} is not a model: it has no predict method")
    return Predictor(estimator, description or type(estimator).__name__)


def load_skops(path: Path, trusted: list[str], trust_all: bool) -> Predictor:
    """Load a skops file, refusing types the user has not trusted."""
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # skops raises many types for a file that is not a skops archive
        raise ModelError(
            f"{path} is not a readable skops model ({type(exc).__name__})",
            "save the model with skops.io.dump, or check the file is complete",
        ) from exc
    refused = [name for name in untrusted if name not in trusted]
    if refused and not trust_all:
        flags = " ".join(f"--trust-type {name}" for name in refused)
        raise ModelError(
            f"{path} would load types that are not trusted: {', '.join(refused)}",
            f"inspect them, then pass {flags} (or --trust-model to trust the whole file)",
        )
    try:
        estimator = sio.load(path, trusted=untrusted)
    except Exception as exc:
        raise ModelError(f"cannot load {path}: {type(exc).__name__}: {exc}") from exc
    return wrap_estimator(estimator, f"{type(estimator).__name__} ({path.name})")


Loader = Callable[[Path, list[str], bool], Predictor]

LOADERS: dict[str, Loader] = {
    ".skops": load_skops,
}


def load_model(path: Path, trusted: list[str] | None = None, trust_all: bool = False) -> Predictor:
    """Load a model file with the loader its suffix names."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"model file not found: {path}", "check the path given to --model")
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise ModelError(
            f"cannot load {path}: unknown model format '{path.suffix}'",
            f"supported: {', '.join(sorted(LOADERS))}; or audit predictions only with --predictions COLUMN",
        )
    return loader(path, list(trusted or []), trust_all)
