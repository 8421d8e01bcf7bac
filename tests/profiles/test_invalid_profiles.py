"""Every invalid profile stops with one exact line (golden files), through the CLI, exit 2."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("golden", Path(__file__).with_name("golden.py"))
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)

CASES = golden.GOLDEN / "invalid-profiles"


@pytest.mark.parametrize("name", sorted(p.stem for p in CASES.glob("*.yaml")))
def test_invalid_profile_message(cli, monkeypatch, name):
    monkeypatch.chdir(CASES)
    ran = cli("profiles", "validate", f"{name}.yaml")
    assert ran.code == 2, (ran.out, ran.err)
    assert "Traceback" not in ran.err
    assert len(ran.err.strip().splitlines()) == 1, ran.err
    golden.assert_golden(CASES / f"{name}.err", ran.err)
