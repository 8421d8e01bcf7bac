"""Load a model safely and wrap it as a :class:`Predictor`.

Model files are code. Each format has a loader in :data:`LOADERS`, chosen by file suffix; a new
format slots in by adding one entry. The default for scikit-learn is skops, which lists the types
a file would instantiate and refuses any that are not trusted. ONNX files are data run by
onnxruntime and need no trust. Pickle and joblib files load only with ``--trust-model``, after an
opcode scan lists what they import and an allow-list refuses anything else not named with
``--trust-type``. A ``package.module:function`` reference (with ``--trust-model``) makes a
function the model. XGBoost and LightGBM native files load when those packages are installed.

The formats, the trust flags and the callable contract are documented in ``docs/models.md``.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from conformance.errors import ConformanceError, ModelError

@dataclass
class Predictor:
    """A fitted model behind a uniform interface: labels, and scores when the model has them."""

    estimator: Any
    description: str
    source: Path | None = None
    """The file whose hash stands for the model in the manifest (for a callable: its module)."""
    imports: tuple[str, ...] = ()
    """For a pickle or joblib file: every global it imports, as the opcode scan listed them."""

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
        """Probability of the positive label, or None when the model gives no probabilities.

        An estimator says it has none by lacking ``predict_proba`` or by a false
        ``has_probabilities``. Its classes may be known only once it has run (an ONNX ZipMap, a
        callable returning a DataFrame), so they are read after ``predict_proba``. A 1-D result is
        already the positive label's probability (the callable contract).
        """
        if not hasattr(self.estimator, "predict_proba") or not getattr(self.estimator, "has_probabilities", True):
            return None
        if self.classes is not None and not self._index(self.classes, positive):
            return None
        raw = self._call("predict_proba", features)
        if raw is None:
            return None
        proba = np.asarray(raw)
        if proba.ndim == 1:
            return proba.astype(float)
        matches = self._index(self.classes or [], positive)
        if not matches or proba.ndim != 2:
            return None
        return proba[:, matches[0]].astype(float)

    @staticmethod
    def _index(classes: list[Any], positive: Any) -> list[int]:
        return [i for i, label in enumerate(classes) if str(label) == str(positive)]

    def _call(self, method: str, features: pd.DataFrame) -> Any:
        try:
            return getattr(self.estimator, method)(features)
        except ConformanceError:
            raise  # an adapter's own clear message (an ONNX input that does not match, …)
        except Exception as exc:  # the model is user code: any failure is a finding about it
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            from conformance.messages import say

            raise ModelError(
                f"the model's {method} raised {type(exc).__name__}: {first}",
                "check that --data has the columns and types the model was trained on",
                said=say("note.runner.model_raised", method=method, error=f"{type(exc).__name__}: {first}"),
            ) from exc


def wrap_estimator(estimator: Any, description: str | None = None, **details: Any) -> Predictor:
    """Wrap an in-memory fitted estimator (the Python API's path)."""
    if not hasattr(estimator, "predict"):
        raise ModelError(f"{type(estimator).__name__} is not a model: it has no predict method")
    return Predictor(estimator, description or type(estimator).__name__, **details)


def check_zip(path: Path) -> None:
    """Refuse a zip (a ``.skops`` file) whose members would expand beyond the limits, before any is read.

    The sizes are the central directory's; :mod:`zipfile` never inflates a member past its
    declared size, so bounding the declared sizes bounds the memory.
    """
    import zipfile

    from conformance.limits import MAX_UNPACKED, MAX_ZIP_MEMBERS, MAX_ZIP_RATIO

    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip: the skops reader says so in its own words
    if len(members) > MAX_ZIP_MEMBERS:
        raise ModelError(f"{path} holds {len(members)} files, more than the {MAX_ZIP_MEMBERS} a model may", "check the file's source")
    total = sum(m.file_size for m in members)
    if total > MAX_UNPACKED:
        raise ModelError(
            f"{path} would expand to {total} bytes, more than the {MAX_UNPACKED // 1024**3} GiB limit",
            "check the file's source: this is how a zip bomb looks",
        )
    for member in members:
        if member.file_size > 1024**2 and member.file_size > MAX_ZIP_RATIO * max(member.compress_size, 1):
            raise ModelError(
                f"{path}: member {member.filename} expands {member.file_size // max(member.compress_size, 1)} times, "
                f"more than any real model (limit {MAX_ZIP_RATIO})",
                "check the file's source: this is how a zip bomb looks",
            )


def load_skops(path: Path, trusted: list[str], trust_all: bool) -> Predictor:
    """Load a skops file, refusing types the user has not trusted (and zip bombs before anything is inflated)."""
    import skops.io as sio

    check_zip(path)

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
    return wrap_estimator(estimator, f"{type(estimator).__name__} ({path.name})", source=path)


def load_onnx(path: Path, trusted: list[str], trust_all: bool) -> Predictor:
    """Load an ONNX model with onnxruntime (an ONNX file is a graph, not code: no trust needed)."""
    from conformance.io.onnx_model import OnnxModel

    model = OnnxModel(path)
    kind = "classifier" if model.has_probabilities or model.classes_ is not None else "model"
    return Predictor(model, f"ONNX {kind} ({path.name})", source=path)


def _shown(names: list[str] | tuple[str, ...], limit: int = 8) -> str:
    from conformance.paths import shown

    pseudo = {"?.?": "an import the scan could not resolve", "?.call": "a call of an object the file builds"}
    names = [pseudo.get(n, shown(n)) for n in names]
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def load_pickled(path: Path, trusted: list[str], trust_all: bool) -> Predictor:
    """Load a pickle or joblib file: only with --trust-model, after the opcode scan clears it.

    The scan reads opcodes only (nothing is imported or run); without --trust-model the file is
    refused whatever it imports; with it, every import must be on the exact allow-list or named
    with --trust-type, and names that run code or touch files are refused whatever the flags.
    """
    from conformance.io import pickle_scan

    try:
        scan = pickle_scan.scan_file(path)
    except pickle_scan.ScanError as exc:
        raise ModelError(
            f"{path} is not a complete pickle ({exc})",
            "save the model again, or check the file is complete",
        ) from exc
    imports = list(scan.imports)
    if not trust_all:
        raise ModelError(
            f"{path} is a pickle, which runs code when loaded; it imports {_shown(imports) or 'nothing'}",
            "pass --trust-model if you trust its source, or save the model with skops.io.dump",
        )
    checked = pickle_scan.verdict(imports, trusted)
    if checked.denied:
        raise ModelError(
            f"{path} imports names that run code or touch files, refused whatever the flags: {_shown(checked.denied)}",
            "do not load this file; save the model with skops.io.dump, or as a plain scikit-learn pickle",
        )
    if checked.refused:
        from conformance.paths import shown

        flags = " ".join(f"--trust-type {shown(name)}" for name in checked.refused[:8])
        raise ModelError(
            f"{path} imports names outside the allow-list, refused even with --trust-model: {_shown(checked.refused)}",
            f"inspect them; if you trust them, pass {flags}",
        )
    try:
        estimator = pickle_scan.load_file(path, trusted)
    except pickle.UnpicklingError as exc:
        raise ModelError(f"{path} was refused while loading: {exc}", "name it with --trust-type if you trust it") from exc
    except pickle_scan.ScanError as exc:
        raise ModelError(f"{path} is not a complete pickle ({exc})", "save the model again") from exc
    except Exception as exc:
        raise ModelError(f"cannot load {path}: {type(exc).__name__}: {exc}") from exc
    kind = f"joblib, {scan.compression}" if scan.compression else "joblib" if scan.joblib else "pickle"
    return wrap_estimator(
        estimator,
        f"{type(estimator).__name__} ({path.name}, {kind}; {len(imports)} imports scanned)",
        source=path,
        imports=tuple(imports),
    )


def load_xgboost_file(path: Path, trusted: list[str], trust_all: bool) -> Predictor:
    from conformance.io.native_models import is_xgboost_json, load_xgboost

    if path.suffix.lower() == ".json" and not is_xgboost_json(path):
        raise ModelError(
            f"cannot load {path}: a .json model must be an XGBoost model (a JSON object starting with \"learner\")",
            "for other frameworks export to ONNX",
        )
    model = load_xgboost(path)
    return Predictor(model, f"XGBoost booster, {model.objective} ({path.name})", source=path)


def load_lightgbm_file(path: Path, trusted: list[str], trust_all: bool) -> Predictor:
    from conformance.io.native_models import load_lightgbm

    model = load_lightgbm(path)
    return Predictor(model, f"LightGBM booster, {model.objective} ({path.name})", source=path)


def load_callable_model(spec: str, trust_all: bool) -> Predictor:
    """A ``package.module:function`` reference: importing it runs its code, so it needs --trust-model."""
    from conformance.io.callable_model import load_callable

    if not trust_all:
        raise ModelError(
            f"--model {spec} names Python code, which runs when imported",
            "pass --trust-model if you trust it",
        )
    model = load_callable(spec)
    return Predictor(model, f"Python callable {spec}", source=model.source)


Loader = Callable[[Path, list[str], bool], Predictor]

LOADERS: dict[str, Loader] = {
    ".skops": load_skops,
    ".onnx": load_onnx,
    ".pkl": load_pickled,
    ".pickle": load_pickled,
    ".joblib": load_pickled,
    ".ubj": load_xgboost_file,
    ".json": load_xgboost_file,
    ".txt": load_lightgbm_file,
    ".lgb": load_lightgbm_file,
}


def load_model(path: Path | str, trusted: list[str] | None = None, trust_all: bool = False) -> Predictor:
    """Load a model file with the loader its suffix names, or a ``package.module:function``."""
    from conformance.io.callable_model import is_callable_spec

    path = Path(path)
    if not path.is_file() and is_callable_spec(str(path)):
        return load_callable_model(str(path), trust_all)
    if not path.is_file():
        raise ModelError(f"model file not found: {path}", "check the path given to --model")
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise ModelError(
            f"cannot load {path}: unknown model format '{path.suffix}'",
            f"supported: {', '.join(sorted(LOADERS))}, or package.module:function; "
            "or audit predictions only with --predictions COLUMN",
        )
    return loader(path, list(trusted or []), trust_all)
