"""Every loader, before trust is given: no code runs, no file outside the model is read, no bomb is inflated."""

from __future__ import annotations

import sys
import textwrap

import numpy as np
import pytest

from conformance.errors import ModelError
from conformance.io.models import load_model


def test_onnx_tensor_reading_a_file_outside_the_model_folder_is_refused(tmp_path):
    from onnx import TensorProto, helper

    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.arange(4, dtype=np.float32).tobytes())
    folder = tmp_path / "model"
    folder.mkdir()
    weights = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1, 4])
    weights.data_location = TensorProto.EXTERNAL
    for key, value in (("location", "../secret.bin"), ("offset", "0"), ("length", "16")):
        entry = weights.external_data.add()
        entry.key, entry.value = key, value
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 4])],
        initializer=[weights],
    )
    path = folder / "model.onnx"
    path.write_bytes(helper.make_model(graph).SerializeToString())
    with pytest.raises(ModelError) as caught:
        load_model(path)
    assert caught.value.message == f"{path}: tensor 'w' reads its data from ../secret.bin, outside the model's folder"


def test_a_callable_is_not_imported_without_trust(tmp_path, monkeypatch):
    marker = tmp_path / "MARKER"
    (tmp_path / "hostile_model_mod.py").write_text(textwrap.dedent(f"""
        open({str(marker)!r}, "w").close()
        def predict(frame):
            return frame.iloc[:, 0]
    """))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelError, match="names Python code, which runs when imported"):
        load_model("hostile_model_mod:predict")
    assert not marker.exists() and "hostile_model_mod" not in sys.modules


def test_a_skops_file_with_untrusted_types_is_refused_before_loading(demo_files):
    model, _ = demo_files
    with pytest.raises(ModelError, match="would load types that are not trusted: sklearn.tree._tree.Tree"):
        load_model(model)


def test_native_booster_files_are_data(tmp_path):
    """XGBoost and LightGBM native files hold trees, not code: they load without trust, and junk is refused."""
    for name in ("m.ubj", "m.json", "m.txt", "m.lgb"):
        (tmp_path / name).write_bytes(b"\x80\x04cos\nsystem\n.")
        with pytest.raises(ModelError):
            load_model(tmp_path / name)
