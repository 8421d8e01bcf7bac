"""Model files are code: no scan, refusal or load path may run a malicious pickle's payload.

Every case asserts the marker file its payload would create was never created: by the scan, by
loading without --trust-model, and by loading with --trust-model (where the allow-list must
refuse). A control run with the standard library shows each payload is real.
"""

from __future__ import annotations

import warnings

import pytest

from conformance.errors import ModelError
from conformance.io import pickle_scan
from conformance.io.models import load_model
from tests.security import payloads


@pytest.fixture
def marker(tmp_path):
    return tmp_path / "MARKER"


def _never_runs(path, marker):
    try:
        pickle_scan.scan_file(path)
    except pickle_scan.ScanError:
        pass
    assert not marker.exists(), "the scan ran the payload"
    for trust in (False, True):
        with pytest.raises(ModelError) as caught:
            load_model(path, trust_all=trust)
        assert not marker.exists(), f"loading ran the payload (trust_all={trust})"
        assert "\n" not in str(caught.value)
    return caught.value


CASES = sorted(payloads.corpus(payloads.Path("/nonexistent/MARKER"), payloads.Path("/tmp")))


@pytest.mark.parametrize("case", CASES)
def test_malicious_pickle_never_runs_with_or_without_trust(case, marker, tmp_path):
    path = payloads.as_file(tmp_path, case, payloads.corpus(marker, tmp_path)[case])
    error = _never_runs(path, marker)
    assert str(path) in error.message


@pytest.mark.parametrize("case", ["os.system via STACK_GLOBAL and the memo", "attribute walk from an allowed module (sklearn.base.platform.os.system)",
                                  "pydoc.locate", "runpy.run_path"])
def test_the_payloads_are_real(case, marker, tmp_path):
    """The control: the standard library's unpickler does run these payloads."""
    path = payloads.as_file(tmp_path, case, payloads.corpus(marker, tmp_path)[case])
    payloads.ran_with_stdlib(path)
    assert marker.exists()


def test_legacy_joblib_array_wrapper_never_loads_its_other_file(marker, tmp_path):
    path = payloads.legacy_joblib(marker, tmp_path)
    error = _never_runs(path, marker)
    assert "joblib.numpy_pickle_compat.NDArrayWrapper" in error.message
    assert "refused whatever the flags" in error.message
    payloads.ran_with_stdlib(path, "joblib")  # the control: joblib.load runs it
    assert marker.exists()


def test_joblib_array_of_objects_is_scanned_not_unpickled(marker, tmp_path):
    path = payloads.nested_object_array(marker, tmp_path)
    scan = pickle_scan.scan_file(path)
    assert "posix.system" in scan.imports and scan.compression == "gzip" and scan.arrays == 2
    error = _never_runs(path, marker)
    assert error.message == f"{path} imports names that run code or touch files, refused whatever the flags: posix.system"


def test_trust_type_cannot_admit_a_denied_name(marker, tmp_path):
    path = payloads.as_file(tmp_path, "x", payloads.corpus(marker, tmp_path)["os.system via GLOBAL"])
    with pytest.raises(ModelError, match="refused whatever the flags: os.system"):
        load_model(path, ["os.system"], trust_all=True)
    assert not marker.exists()


def test_exact_names_only(tmp_path):
    allowed = "sklearn.linear_model._logistic.LogisticRegression"
    assert pickle_scan.verdict([allowed], []).refused == ()
    for near in ("sklearn.linear_model._logistic.warnings", "sklearn.linear_model._logistic.LogisticRegression.fit",
                 "sklearn.base.platform", "numpy.ndarray.__init__", "sklearn.utils.all_estimators", "numpy.lib.npyio.load"):
        assert pickle_scan.verdict([near], []).refused == (near,), near
    with pytest.raises(pickle_scan.pickle.UnpicklingError, match="sklearn.base.platform.os.system is not allowed"):
        pickle_scan.resolve("sklearn.base", "platform.os.system", {"sklearn.base.platform"})


def test_every_allowed_name_is_a_class_or_a_known_reconstructor():
    import importlib

    reconstructors = {"copyreg._reconstructor", "copyreg.__newobj__", "copyreg.__newobj_ex__", "_codecs.encode"}
    for name in sorted(pickle_scan.ALLOWED_GLOBALS):
        module, _, attr = name.rpartition(".")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # numpy.core.* under numpy 2
                obj = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError):
            continue  # a name of another version of the library
        assert isinstance(obj, type) or name in reconstructors or "._reconstruct" in name or name.endswith(
            ("scalar", "_frombuffer", "_ctor", "newObj", "__pyx_unpickle_SeedSequence", "_mareconstruct")), name
        assert name == pickle_scan.WRAPPER or not pickle_scan.is_denied(name), name


def test_the_allow_list_covers_every_scikit_learn_estimator():
    from sklearn.utils import all_estimators

    missing = sorted({f"{c.__module__}.{c.__qualname__}" for _, c in all_estimators()} - pickle_scan.ALLOWED_GLOBALS)
    assert not missing, f"add to conformance/io/allowed_globals.py: {missing}"


def test_a_name_with_a_newline_is_shown_on_one_line(cli, tmp_path):
    path = payloads.as_file(tmp_path, "newline", payloads.PROTO4 + payloads.sglob("os\nx", "system\ny") + payloads.STOP)
    data = tmp_path / "d.csv"
    data.write_text("y,sex\n0,f\n1,m\n")
    ran = cli("run", "--model", path, "--trust-model", "--data", data, "--target", "y", "--profile", "eeoc-four-fifths",
              "--output", tmp_path / "out")
    assert ran.code == 2 and ran.err.count("\n") == 1 and "os\\nx.system\\ny" in ran.err
