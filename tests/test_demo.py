"""The demo is reproducible: two saves of its inputs are byte-identical."""

from __future__ import annotations

import skops.io as sio

from conformance.datasets import demo


def test_two_demo_saves_are_byte_identical(tmp_path, monkeypatch):
    first, second = tmp_path / "a", tmp_path / "b"
    demo.write_demo_inputs(first)
    # a later wall clock must not leak into the saved zip
    import time

    later = time.time() + 3 * 3600
    monkeypatch.setattr(time, "time", lambda: later)
    monkeypatch.setattr(time, "localtime", lambda secs=None: time.gmtime(later if secs is None else secs))
    demo.write_demo_inputs(second)
    for name in (demo.MODEL_FILE, demo.TEST_FILE, demo.TRAIN_FILE, demo.CARD_FILE):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_saved_demo_model_loads_and_predicts(tmp_path):
    model_path, data_path = demo.write_demo_inputs(tmp_path)
    model = sio.load(model_path, trusted=demo.TRUSTED_TYPES + sio.get_untrusted_types(file=model_path))
    import pandas as pd

    frame = pd.read_csv(data_path)
    assert len(model.predict(frame.drop(columns=[demo.TARGET, "age_group"]))) == len(frame)
