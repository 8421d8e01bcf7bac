"""ONNX models through onnxruntime, behind the estimator interface a Predictor wraps.

Inputs. Either one input per data column (what skl2onnx produces for a ColumnTransformer
pipeline converted with one ``initial_types`` entry per column): each input is fed the column of
the same name, and the input names are the model's feature names. Or one 2-D tensor input of N
features: it is fed the audit's feature columns in order, and N must match their count.

Outputs. Labels come from an integer or string tensor output (``output_label`` in skl2onnx);
probabilities from a ZipMap output (a list of ``{class: probability}`` dicts) or from a 2-D float
tensor. The class order is the ZipMap's keys, else the classifier node's ``classlabels_*``
attribute when the ``onnx`` package can read the graph. A model with one float output and no
label output is a regressor; its values are the predictions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from conformance.errors import ModelError

_NUMERIC = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(float16)": np.float16,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(int16)": np.int16,
    "tensor(int8)": np.int8,
    "tensor(uint8)": np.uint8,
    "tensor(bool)": np.bool_,
}
_LABEL_TYPES = {"tensor(int64)", "tensor(int32)", "tensor(string)", "tensor(bool)"}
_FLOAT_TYPES = {"tensor(float)", "tensor(double)", "tensor(float16)"}


@dataclass(frozen=True)
class _Port:
    name: str
    type: str
    shape: tuple[Any, ...]


def _port(arg: Any) -> _Port:
    return _Port(arg.name, arg.type, tuple(arg.shape or ()))


def _width(port: _Port) -> int | None:
    """Features per row of a 2-D input (None when symbolic), 1 for a 1-D input."""
    if len(port.shape) <= 1:
        return 1
    last = port.shape[-1]
    return last if isinstance(last, int) else None


def _graph_classes(path: Path) -> list[Any] | None:
    """Class labels recorded on the classifier node, read with the ``onnx`` package if present."""
    try:
        import onnx
    except ImportError:
        return None
    try:
        graph = onnx.load(str(path), load_external_data=False).graph
    except Exception:
        return None
    found = None
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.name in ("classlabels_int64s", "classlabels_ints") and attribute.ints:
                found = [int(v) for v in attribute.ints]
            elif attribute.name == "classlabels_strings" and attribute.strings:
                found = [v.decode("utf-8") for v in attribute.strings]
    return found


def check_external_data(path: Path) -> None:
    """Refuse a model whose tensors point at files outside its own folder (``../../etc/passwd``).

    An ONNX file may keep large tensors in other files named by a relative path; onnxruntime would
    read whatever file the path names. Checked with the ``onnx`` package when it is installed.
    """
    try:
        import onnx
        from onnx.external_data_helper import _get_all_tensors
    except ImportError:
        return
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception:
        return  # not readable: onnxruntime says so in its own words
    folder = Path(path).resolve().parent
    for tensor in _get_all_tensors(model):
        if tensor.data_location != onnx.TensorProto.EXTERNAL:
            continue
        location = next((e.value for e in tensor.external_data if e.key == "location"), "")
        target = (folder / location).resolve()
        if Path(location).is_absolute() or folder not in (target, *target.parents):
            raise ModelError(
                f"{path}: tensor '{tensor.name}' reads its data from {location}, outside the model's folder",
                "keep external data files beside the model",
            )


class OnnxModel:
    """An onnxruntime session with ``predict``, ``predict_proba``, ``classes_``, ``feature_names_in_``."""

    def __init__(self, path: Path) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise ModelError(
                f"cannot load {path}: ONNX models need onnxruntime, which is not installed",
                "pip install 'conformance-audit[onnx]'",
            ) from exc
        check_external_data(path)
        options = ort.SessionOptions()
        options.log_severity_level = 3  # errors only: warnings would print around the one-line message
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph/... types
            raise ModelError(
                f"{path} is not a readable ONNX model ({_first_line(exc)})",
                "export it again, or check the file is complete",
            ) from exc
        self.path = path
        self.inputs = [_port(i) for i in self.session.get_inputs()]
        self.outputs = [_port(o) for o in self.session.get_outputs()]
        self.per_column = len(self.inputs) > 1
        self._label = next((o for o in self._ranked(self.outputs, "label") if o.type in _LABEL_TYPES), None)
        self._zipmap = next((o for o in self.outputs if o.type.startswith("seq(map(")), None)
        floats = [o for o in self._ranked(self.outputs, "prob") if o.type in _FLOAT_TYPES]
        self._proba = None if self._zipmap else next((o for o in floats if len(o.shape) == 2 and _width(o) != 1), None)
        self._values = None
        if self._label is None and self._zipmap is None and self._proba is None:
            self._values = next(iter(floats), None)
            if self._values is None:
                shown = ", ".join(f"{o.name}: {o.type}" for o in self.outputs)
                raise ModelError(
                    f"{path}: cannot tell labels or probabilities among the ONNX outputs ({shown})",
                    "export a model with a label output (integer or string) or a probability output (float)",
                )
        self.classes_ = self._classes()
        self._cache: tuple[Any, dict[str, Any]] | None = None

    # ------------------------------------------------------------------ interface

    @property
    def feature_names_in_(self) -> list[str] | None:
        return [i.name for i in self.inputs] if self.per_column else None

    @property
    def has_probabilities(self) -> bool:
        return self._zipmap is not None or self._proba is not None

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        out = self._run(features)
        if self._values is not None:
            return np.asarray(out[self._values.name], dtype=float).reshape(len(features), -1)[:, 0]
        if self._label is not None:
            return np.asarray(out[self._label.name]).reshape(len(features))
        proba = self._probabilities(out, len(features))
        classes = self.classes_ if self.classes_ is not None else list(range(proba.shape[1]))
        return np.asarray(classes, dtype=object)[proba.argmax(axis=1)]

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        out = self._run(features)
        if self._zipmap is None and self._proba is None:
            raise ModelError(f"{self.path}: the ONNX model has no probability output")
        return self._probabilities(out, len(features))

    # ------------------------------------------------------------------ internals

    @staticmethod
    def _ranked(ports: list[_Port], word: str) -> list[_Port]:
        return sorted(ports, key=lambda p: word not in p.name.lower())

    def _classes(self) -> list[Any] | None:
        if self._values is not None:
            return None
        classes = _graph_classes(self.path)  # else, for a ZipMap, its keys once the model has run
        if self._zipmap is not None:
            return classes
        if self._proba is not None and classes is not None and _width(self._proba) not in (None, len(classes)):
            return None
        return classes

    def _probabilities(self, out: dict[str, Any], rows: int) -> np.ndarray:
        if self._zipmap is not None:
            maps = out[self._zipmap.name]
            if not maps:
                return np.zeros((0, len(self.classes_ or [])))
            keys = list(maps[0])
            if self.classes_ is None:
                self.classes_ = keys
            return np.array([[row[k] for k in self.classes_] for row in maps], dtype=float)
        if self._proba is None:
            raise ModelError(f"{self.path}: the ONNX model has no probability output")
        return np.asarray(out[self._proba.name], dtype=float).reshape(rows, -1)

    def _run(self, features: pd.DataFrame) -> dict[str, Any]:
        if self._cache is not None and self._cache[0] is features:
            return self._cache[1]
        feed = self._feed(features)
        try:
            results = self.session.run(None, feed)
        except Exception as exc:
            raise ModelError(
                f"the ONNX model {self.path.name} failed on the data: {_first_line(exc)}",
                "check that the data's columns and types are those the model was exported with",
            ) from exc
        out = {port.name: value for port, value in zip(self.outputs, results)}
        self._cache = (features, out)
        if self._zipmap is not None and self.classes_ is None and out[self._zipmap.name]:
            self.classes_ = list(out[self._zipmap.name][0])
        return out

    def _feed(self, features: pd.DataFrame) -> dict[str, np.ndarray]:
        for port in self.inputs:
            batch = port.shape[0] if port.shape else None
            if isinstance(batch, int) and batch != len(features):
                raise ModelError(
                    f"the ONNX model's input '{port.name}' has a fixed batch size of {batch}, but the data has {len(features)} rows",
                    "export the model with a dynamic batch dimension",
                )
        if self.per_column:
            feed = {}
            for port in self.inputs:
                if port.name not in features.columns:
                    raise ModelError(
                        f"the ONNX model's input '{port.name}' is not a column of the data",
                        "per-column ONNX inputs are matched to data columns by name",
                    )
                width = _width(port)
                if width not in (1, None):
                    raise ModelError(f"the ONNX model's input '{port.name}' takes {width} values per row, but a column gives 1")
                values = _convert(features[port.name], port, port.name)
                feed[port.name] = values.reshape(-1, 1) if len(port.shape) >= 2 else values
            return feed
        port = self.inputs[0]
        width = _width(port)
        columns = list(features.columns)
        if width is not None and len(port.shape) >= 2 and width != len(columns):
            shown = ", ".join(map(str, columns[:8])) + (", …" if len(columns) > 8 else "")
            raise ModelError(
                f"the ONNX model's input '{port.name}' takes {width} features, but {len(columns)} columns were given ({shown})",
                "name the model's input columns in order with --feature",
            )
        if len(port.shape) < 2 and len(columns) != 1:
            raise ModelError(f"the ONNX model's input '{port.name}' takes 1 feature, but {len(columns)} columns were given")
        matrix = np.column_stack([_convert(features[c], port, str(c)) for c in columns]) if columns else np.empty((len(features), 0))
        return {port.name: matrix if len(port.shape) >= 2 else matrix[:, 0]}


def _convert(column: pd.Series, port: _Port, name: str) -> np.ndarray:
    """One data column as the input's element type, or a ModelError naming the column and type."""
    missing = int(column.isna().sum())
    if port.type == "tensor(string)":
        if missing:
            raise ModelError(f"column '{name}' has {missing} missing values, but the ONNX input '{port.name}' is {port.type}")
        return column.astype(str).to_numpy(dtype=object)
    dtype = _NUMERIC.get(port.type)
    if dtype is None:
        raise ModelError(f"the ONNX model's input '{port.name}' is {port.type}, which cannot be fed from a table column")
    if not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)):
        raise ModelError(
            f"column '{name}' holds text, but the ONNX model's input '{port.name}' is {port.type}",
            "encode the column as the model expects, or check that the model is the one for this data",
        )
    values = column.to_numpy(dtype=float if missing else None)
    if np.issubdtype(dtype, np.integer):
        if missing:
            raise ModelError(f"column '{name}' has {missing} missing values, but the ONNX input '{port.name}' is {port.type}")
        if np.issubdtype(values.dtype, np.floating) and not np.all(np.mod(values, 1) == 0):
            raise ModelError(f"column '{name}' has non-integer values, but the ONNX model's input '{port.name}' is {port.type}")
    return values.astype(dtype)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
