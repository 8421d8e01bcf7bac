"""The CLI starts light: help and the profile listing import no heavy library (not a timed test:
the figures are in benchmarks/bench_startup.py)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from conformance.profiles.headers import shipped_headers
from conformance.profiles.loader import load_profile

# the benchmark's own probe, so the test and the figures watch the same imports
_spec = importlib.util.spec_from_file_location("bench_startup", Path(__file__).parents[1] / "benchmarks" / "bench_startup.py")
bench_startup = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_startup)


def imported_by(*args: str) -> set[str]:
    # `-I`: the working folder (the source tree) must not shadow the installed package
    probe = bench_startup.PROBE.format(heavy=bench_startup.HEAVY)
    ran = subprocess.run([sys.executable, "-I", "-c", probe, *args], capture_output=True, text=True, check=True)
    last = ran.stdout.strip().splitlines()[-1]
    return set() if last == "none" else set(last.split())


@pytest.mark.parametrize("args", [("--help",), ("run", "--help"), ("--version",)])
def test_help_imports_no_heavy_library(args):
    assert imported_by(*args) == set()


def test_profile_listing_loads_neither_data_libraries_nor_checks():
    assert imported_by("profiles", "list") == set()


def test_light_profile_headers_agree_with_the_validating_loader():
    for header in shipped_headers():
        loaded = load_profile(header.id)
        assert (header.title, header.version, header.citation) == (
            loaded.profile.title, loaded.profile.version, loaded.profile.source.citation)
        assert header.requirements == len(loaded.requirements), header.id


def test_the_shipped_header_index_is_current_and_a_changed_profile_is_read_again(tmp_path, monkeypatch):
    """The index beside the profiles is what the YAML gives (regenerate it with
    `python -m conformance.profiles.headers`); once any profile differs, the YAML is read instead."""
    import shutil

    from conformance.profiles import headers

    shipped = Path(str(resources.files(headers.SHIPPED_PACKAGE)))
    assert (shipped / headers.INDEX).read_text(encoding="utf-8") == headers.header_index(), \
        "checklists/_headers.json is stale: run python -m conformance.profiles.headers"
    copy = {name: tmp_path / path.name for name, path in headers.shipped_profiles().items()}
    for name, path in headers.shipped_profiles().items():
        shutil.copy(path, copy[name])
    text = copy["nyc-ll144"].read_text(encoding="utf-8")
    copy["nyc-ll144"].write_text(text.replace("title:", "title: Changed —", 1), encoding="utf-8")
    monkeypatch.setattr(headers, "shipped_profiles", lambda: copy)
    changed = next(h for h in headers.shipped_headers() if h.id == "nyc-ll144")
    assert changed.title.startswith("Changed —")


def test_run_help_in_panels_with_readable_placeholders_and_defaults(cli, monkeypatch):
    from conformance.cli import RUN_DEFAULTS, RUN_PANELS
    from conformance.config import RunConfig

    monkeypatch.setenv("COLUMNS", "80")
    text = cli("run", "--help").out
    for panel in RUN_PANELS:
        assert f"─ {panel} " in text
    assert "<bool>" not in text and "list[str]" not in text and "…" not in text
    assert "COLUMN" in text and "PATH" in text and text.count("Required") >= 3  # data, target, profile
    fields = {"format": "formats"}
    for option, shown in RUN_DEFAULTS.items():
        default = RunConfig.model_fields[fields.get(option, option)].get_default(call_default_factory=True)
        value = ",".join(f.value for f in default) if isinstance(default, list) else getattr(default, "value", default)
        assert str(value) == shown, option


def test_misspelt_option_suggests_the_right_one(cli):
    ran = cli("run", "--profiles", "x")
    assert ran.code == 2 and "--profile" in ran.err
