"""Model loaders: ONNX, pickle/joblib behind an opcode scan, callables, native boosters."""

from __future__ import annotations

import pickle
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conformance.config import RunConfig
from conformance.datasets import demo
from conformance.errors import ModelError
from conformance.io import pickle_scan
from conformance.io.models import load_model
from conformance.io.tables import read_table

DEMO_TRUST = ["sklearn.tree._tree.Tree"]


def _verdicts(result) -> list[tuple[str, str, str]]:
    return [(r.profile, r.id, r.verdict) for r in result.evidence.requirements]


# ------------------------------------------------------------------------------------------ ONNX


def test_onnx_export_gives_the_same_verdicts_as_skops(demo_files, demo_onnx, tmp_path):
    from conformance.api import run_audit

    skops_model, data = demo_files
    common = dict(data=data, target=demo.TARGET, sensitive=demo.SENSITIVE, profiles=demo.PROFILES, seed=0)
    from_skops = run_audit(RunConfig(model=skops_model, trust_types=DEMO_TRUST, output=tmp_path / "a", **common))
    from_onnx = run_audit(RunConfig(model=demo_onnx, output=tmp_path / "b", **common))
    assert _verdicts(from_onnx) == _verdicts(from_skops)
    assert from_onnx.evidence.outcome == from_skops.evidence.outcome
    assert from_onnx.evidence.subject.model == "ONNX classifier (model.onnx)"
    assert from_onnx.evidence.manifest.inputs[0].role == "model"


def test_onnx_per_column_inputs_labels_and_zipmap_scores(demo_model, demo_onnx, demo_files):
    model, _, _ = demo_model
    predictor = load_model(demo_onnx)
    assert predictor.feature_names == list(model.feature_names_in_)
    assert predictor.classes == [0, 1]  # from the graph, before anything ran
    frame = read_table(demo_files[1])[predictor.feature_names]
    assert (predictor.predict(frame) == model.predict(frame)).all()
    scores = predictor.predict_scores(frame, "1")
    np.testing.assert_allclose(scores, model.predict_proba(frame)[:, 1], atol=1e-5)
    assert predictor.predict_scores(frame, "7") is None


@pytest.fixture(scope="module")
def tensor_onnx(tmp_path_factory):
    """A logistic regression on three numeric columns, one float tensor input, no ZipMap, string labels."""
    import skl2onnx  # onnxruntime and skl2onnx are in the test extra: fail, never skip
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    labels = np.where(frame.a + 0.5 * frame.b > 0, "yes", "no")
    clf = LogisticRegression().fit(frame.to_numpy(), labels)
    onx = skl2onnx.to_onnx(clf, initial_types=[("X", FloatTensorType([None, 3]))], options={id(clf): {"zipmap": False}})
    path = tmp_path_factory.mktemp("tensor") / "lr.onnx"
    path.write_bytes(onx.SerializeToString())
    return path, clf, frame


def test_onnx_single_tensor_input_and_plain_probability_tensor(tensor_onnx):
    path, clf, frame = tensor_onnx
    predictor = load_model(path)
    assert predictor.feature_names is None  # a tensor input: fed the audit's features in order
    assert predictor.classes == ["no", "yes"]  # classlabels_strings of the classifier node
    assert (predictor.predict(frame) == clf.predict(frame.to_numpy())).all()
    np.testing.assert_allclose(predictor.predict_scores(frame, "yes"), clf.predict_proba(frame.to_numpy())[:, 1], atol=1e-5)


def test_onnx_tensor_width_must_match_the_features(tensor_onnx):
    path, _, frame = tensor_onnx
    predictor = load_model(path)
    with pytest.raises(ModelError) as caught:
        predictor.predict(frame.assign(d=1.0))
    assert str(caught.value).startswith("the ONNX model's input 'X' takes 3 features, but 4 columns were given (a, b, c, d)")
    assert "--feature" in str(caught.value)


def test_onnx_text_column_for_a_numeric_input_names_the_column(tensor_onnx, demo_onnx, demo_files):
    path, _, frame = tensor_onnx
    with pytest.raises(ModelError, match="column 'b' holds text, but the ONNX model's input 'X' is tensor\\(float\\)"):
        load_model(path).predict(frame.assign(b="x"))
    predictor = load_model(demo_onnx)
    data = read_table(demo_files[1])[predictor.feature_names].assign(credit_amount="lots")
    with pytest.raises(ModelError, match="column 'credit_amount' holds text, but the ONNX model's input 'credit_amount' is tensor\\(int64\\)"):
        predictor.predict(data)
    data = read_table(demo_files[1])[predictor.feature_names].assign(age=30.5)
    with pytest.raises(ModelError, match="column 'age' has non-integer values"):
        predictor.predict(data)


def test_onnx_without_onnxruntime_says_what_to_install(demo_onnx, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails as if not installed
    with pytest.raises(ModelError) as caught:
        load_model(demo_onnx)
    assert "onnxruntime, which is not installed" in caught.value.message
    assert caught.value.hint == "pip install 'conformance-audit[onnx]'"


# ------------------------------------------------------------------------------------- pickles


def test_pickle_and_joblib_load_with_trust_model(pickled, demo_model, demo_files):
    model, _, _ = demo_model
    frame = read_table(demo_files[1])[list(model.feature_names_in_)]
    for key in ("pkl", "joblib", "joblib_z"):
        predictor = load_model(pickled[key], trust_all=True)
        assert (predictor.predict(frame) == model.predict(frame)).all(), key
        assert "sklearn.tree._tree.Tree" in predictor.imports
        assert predictor.description.startswith("Pipeline (model")


def test_pickle_without_trust_model_is_refused_with_its_imports_listed(pickled):
    with pytest.raises(ModelError) as caught:
        load_model(pickled["pkl"])
    assert caught.value.message.startswith(f"{pickled['pkl']} is a pickle, which runs code when loaded; it imports sklearn.pipeline.Pipeline")
    assert "--trust-model" in caught.value.hint


@pytest.mark.parametrize("key", ["evil", "evil_joblib"])
def test_os_system_is_refused_even_with_trust_model(pickled, key):
    with pytest.raises(ModelError) as caught:
        load_model(pickled[key], trust_all=True)
    system = f"{'nt' if sys.platform == 'win32' else 'posix'}.system"
    assert caught.value.message == f"{pickled[key]} imports names that run code or touch files, refused whatever the flags: {system}"
    with pytest.raises(ModelError, match="refused whatever the flags"):
        load_model(pickled[key], [system], trust_all=True)  # no --trust-type admits it


def test_a_function_outside_the_allow_list_loads_once_named(tmp_path):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    rng = np.random.default_rng(1)
    x = pd.DataFrame({"a": rng.normal(size=100), "b": rng.normal(size=100)})
    pipe = make_pipeline(FunctionTransformer(np.abs), LogisticRegression()).fit(x, x.a > 0)
    path = tmp_path / "abs.pkl"
    path.write_bytes(pickle.dumps(pipe))
    assert "numpy.absolute" in pickle_scan.scan_file(path).imports
    with pytest.raises(ModelError, match="outside the allow-list, refused even with --trust-model: numpy.absolute"):
        load_model(path, trust_all=True)  # only exact names are allowed: numpy.absolute is not one
    predictor = load_model(path, ["numpy.absolute"], trust_all=True)
    assert (predictor.predict(x) == pipe.predict(x)).all()


def test_scan_reads_every_protocol_and_memoised_names(tmp_path):
    class_ref = pickle_scan.Scan  # any class: pickled by reference
    path = tmp_path / "refs.pkl"
    for protocol in range(0, pickle.HIGHEST_PROTOCOL + 1):
        path.write_bytes(pickle.dumps([class_ref, class_ref, {1, 2}], protocol=protocol))
        found = pickle_scan.scan_file(path).imports
        assert "conformance.io.pickle_scan.Scan" in found, protocol
        if protocol < 4:  # from protocol 4 a set has its own opcodes, no global
            assert "builtins.set" in found, protocol
    verdict = pickle_scan.verdict(["sklearn.tree._tree.Tree", "builtins.eval", "numpy.testing.runstring"], [])
    assert verdict.refused == ("builtins.eval", "numpy.testing.runstring") == verdict.denied
    assert pickle_scan.verdict(["builtins.eval"], ["builtins.eval"]).refused == ("builtins.eval",)
    assert pickle_scan.verdict(["mylib.Scaler"], ["mylib.Scaler"]).refused == ()


def test_truncated_pickle_is_a_clear_error(pickled, tmp_path):
    for key in ("pkl", "joblib"):
        cut = tmp_path / f"cut{pickled[key].suffix}"
        cut.write_bytes(pickled[key].read_bytes()[:3000])
        with pytest.raises(ModelError, match=f"{cut} is not a complete pickle"):
            load_model(cut, trust_all=True)


# ------------------------------------------------------------------------------------ callables


@pytest.fixture
def model_module(tmp_path, monkeypatch) -> str:
    """A module with functions honouring each form of the callable contract."""
    name = f"audit_model_{abs(hash(tmp_path)) % 10**8}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent("""
        import numpy as np
        import pandas as pd

        def _p(frame):
            return 1 / (1 + np.exp(-(frame["duration"].to_numpy() - 20) / 5))

        def labels(frame):
            return (_p(frame) < 0.5).astype(int)

        def with_scores(frame):
            p = _p(frame)
            return (p < 0.5).astype(int), 1 - p

        def probabilities(frame):
            p = _p(frame)
            return pd.DataFrame({0: p, 1: 1 - p})

        probabilities.feature_names = ["duration", "age"]
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def test_callable_contract(model_module, demo_files):
    frame = read_table(demo_files[1])
    only = load_model(f"{model_module}:labels", trust_all=True)
    assert only.predict(frame).shape == (len(frame),) and only.predict_scores(frame, 1) is None
    assert only.source is not None and only.source.name == f"{model_module}.py"
    pair = load_model(f"{model_module}:with_scores", trust_all=True)
    table = load_model(f"{model_module}:probabilities", trust_all=True)
    assert table.feature_names == ["duration", "age"]
    inputs = frame[["duration", "age"]]
    np.testing.assert_allclose(pair.predict_scores(inputs, "1"), table.predict_scores(inputs, "1"))
    assert (pair.predict(inputs) == table.predict(inputs)).all()
    assert table.classes == [0, 1]


def test_callable_needs_trust_model_and_a_real_function(model_module):
    with pytest.raises(ModelError, match="names Python code, which runs when imported"):
        load_model(f"{model_module}:labels")
    with pytest.raises(ModelError, match=f"module '{model_module}' has no attribute 'nope'"):
        load_model(f"{model_module}:nope", trust_all=True)
    with pytest.raises(ModelError, match="cannot import module 'no_such_module_xyz'"):
        load_model("no_such_module_xyz:f", trust_all=True)


def test_callable_audit_hashes_its_module(model_module, demo_files, tmp_path):
    from conformance.api import run_audit

    config = RunConfig(model=Path(f"{model_module}:with_scores"), trust_model=True, data=demo_files[1], target="risk",
                       sensitive=["sex"], profiles=["eeoc-four-fifths"], output=tmp_path / "o")
    result = run_audit(config)
    model_input = result.evidence.manifest.inputs[0]
    assert model_input.role == "model" and model_input.path.endswith(f"{model_module}.py")
    assert result.evidence.subject.model == f"Python callable {model_module}:with_scores"


# ------------------------------------------------------------------------------ native boosters


def _numeric_demo(demo_model):
    _, train, test = demo_model
    columns = ["duration", "credit_amount", "age", "job"]
    return train[columns], train["risk"], test[columns]


def test_xgboost_native_files(demo_model, tmp_path):
    import xgboost as xgb  # in the test extra: fail, never skip
    x, y, test = _numeric_demo(demo_model)
    clf = xgb.XGBClassifier(n_estimators=20, max_depth=3).fit(x, y)
    for suffix in (".ubj", ".json"):
        path = tmp_path / f"model{suffix}"
        clf.save_model(path)
        predictor = load_model(path)
        assert predictor.feature_names == list(x.columns) and predictor.classes == [0, 1]
        assert (predictor.predict(test) == clf.predict(test)).all()
        np.testing.assert_allclose(predictor.predict_scores(test, "1"), clf.predict_proba(test)[:, 1], rtol=1e-5)
    other = tmp_path / "other.json"
    other.write_text('{"not": "a model"}')
    with pytest.raises(ModelError, match="must be an XGBoost model"):
        load_model(other)


def test_lightgbm_native_files(demo_model, tmp_path):
    import lightgbm as lgb  # in the test extra: fail, never skip

    x, y, test = _numeric_demo(demo_model)
    clf = lgb.LGBMClassifier(n_estimators=20, verbose=-1).fit(x, y)
    for suffix in (".txt", ".lgb"):
        path = tmp_path / f"model{suffix}"
        clf.booster_.save_model(path)
        predictor = load_model(path)
        assert predictor.feature_names == list(x.columns) and predictor.classes == [0, 1]
        assert (predictor.predict(test) == clf.predict(test)).all()
        np.testing.assert_allclose(predictor.predict_scores(test, 1), clf.predict_proba(test)[:, 1], rtol=1e-6)
    bad = tmp_path / "notes.txt"
    bad.write_text("just some notes\n")
    with pytest.raises(ModelError, match="is not a readable LightGBM model"):
        load_model(bad)


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_pickled_boosters_load_with_trust_model_only(library, demo_model, tmp_path):
    """The scikit-learn wrappers of XGBoost and LightGBM are on the allow-list: joblib files load with --trust-model."""
    import joblib

    x, y, test = _numeric_demo(demo_model)
    if library == "xgboost":
        import xgboost

        clf = xgboost.XGBClassifier(n_estimators=10, max_depth=3).fit(x, y)
    else:
        import lightgbm

        clf = lightgbm.LGBMClassifier(n_estimators=10, verbose=-1).fit(x, y)
    path = tmp_path / "booster.joblib"
    joblib.dump(clf, path, compress=3)
    with pytest.raises(ModelError, match="is a pickle, which runs code when loaded"):
        load_model(path)
    predictor = load_model(path, trust_all=True)
    assert (predictor.predict(test) == clf.predict(test)).all()
