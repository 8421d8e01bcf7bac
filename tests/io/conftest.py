"""Model files in every supported format, made once per session from the demo pipeline."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


def onnx_types(frame: pd.DataFrame, columns: list[str]):
    """One skl2onnx input per column: text as strings, integers as int64, the rest as floats."""
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType, StringTensorType

    def kind(column: str):
        if not pd.api.types.is_numeric_dtype(frame[column]):
            return StringTensorType([None, 1])
        if pd.api.types.is_integer_dtype(frame[column]):
            return Int64TensorType([None, 1])
        return FloatTensorType([None, 1])

    return [(c, kind(c)) for c in columns]


@pytest.fixture(scope="session")
def demo_onnx(demo_model, tmp_path_factory) -> Path:
    """The demo Pipeline exported by skl2onnx: one input per column, ZipMap probabilities."""
    import skl2onnx  # onnxruntime and skl2onnx are in the test extra: fail, never skip
    model, train, _ = demo_model
    columns = list(model.feature_names_in_)
    onx = skl2onnx.to_onnx(model, initial_types=onnx_types(train, columns))
    path = tmp_path_factory.mktemp("onnx") / "model.onnx"
    path.write_bytes(onx.SerializeToString())
    return path


class Evil:
    """Unpickling this runs os.system: the file a scan must refuse."""

    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


@pytest.fixture(scope="session")
def pickled(demo_model, tmp_path_factory) -> dict[str, Path]:
    """The demo model as pickle, joblib (plain and compressed), and a pickle importing os.system."""
    import joblib

    model, _, _ = demo_model
    folder = tmp_path_factory.mktemp("pickles")
    paths = {
        "pkl": folder / "model.pkl",
        "joblib": folder / "model.joblib",
        "joblib_z": folder / "model_z.joblib",
        "evil": folder / "evil.pkl",
        "evil_joblib": folder / "evil.joblib",
    }
    paths["pkl"].write_bytes(pickle.dumps(model, protocol=5))
    joblib.dump(model, paths["joblib"])
    joblib.dump(model, paths["joblib_z"], compress=3)
    paths["evil"].write_bytes(pickle.dumps(Evil()))
    joblib.dump({"weights": np.arange(1000.0), "hook": np.array([Evil(), 1], dtype=object)}, paths["evil_joblib"])
    return paths
