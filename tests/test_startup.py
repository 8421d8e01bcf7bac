"""The CLI starts light: help and the profile listing import no heavy library (not a timed test:
the figures are in benchmarks/bench_startup.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conformance.profiles.headers import shipped_headers
from conformance.profiles.loader import load_profile

PROBE = (
    "import sys, io, contextlib\n"
    "from conformance.cli import main\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    try: main(sys.argv[1:])\n"
    "    except SystemExit: pass\n"
    "print('loaded:' + ','.join(m for m in ('pydantic', 'pandas', 'numpy', 'sklearn', 'conformance.checks') if m in sys.modules))\n"
)


def imported_by(*args: str) -> set[str]:
    ran = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True)
    return set(filter(None, ran.stdout.strip().splitlines()[-1].removeprefix("loaded:").split(",")))


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
