"""A corpus of bad inputs: each exits 2 with exactly one line naming the option and the value,
and writes nothing. None may exit 3 (an internal error) or hang.
"""

from __future__ import annotations

import json
import os
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

LONG = "x" * 300
CUT = "x" * 79 + "…"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    """One folder holding every bad (and one good) input the cases name, by relative path."""
    folder = tmp_path_factory.mktemp("bad")
    rng = np.random.default_rng(0)
    n = 300
    good = pd.DataFrame({"sex": rng.choice(["f", "m"], n), "y": rng.integers(0, 2, n)})
    good["pred"] = rng.integers(0, 2, n)
    good["score"] = rng.uniform(size=n)
    good.to_csv(folder / "data.csv", index=False)
    good.assign(y=1).to_csv(folder / "constant.csv", index=False)
    good.assign(score=good.score * 4 - 2).to_csv(folder / "margins.csv", index=False)
    (folder / "dup.csv").write_text("sex,y,pred,sex\n" + "".join(f"{s},{y},{p},{s}\n" for s, y, p in zip(good.sex, good.y, good.pred)))
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_arrays([pa.array(good.sex), pa.array(good.y), pa.array(good.pred), pa.array(good.y)],
                                 names=["sex", "y", "pred", "y"])
    pq.write_table(table, folder / "dup.parquet")
    (folder / "empty_dir").mkdir()
    (folder / "a_file").write_text("x")
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "fifo")
    profile = (Path(__file__).parents[2] / "checklists" / "eeoc-four-fifths.yaml").read_text()
    (folder / "nan.yaml").write_text(profile.replace("min: 0.8", "min: .nan", 1))
    (folder / "inf.yaml").write_text(profile.replace("min: 0.8", "min: .inf", 1))
    bomb = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
    (folder / "bomb-card.yaml").write_text(bomb)
    (folder / "deep-run.yaml").write_text("data: data.csv\nx: " + "[" * 50_000 + "]" * 50_000 + "\n")
    (folder / "big-answers.yaml").write_text("notes: |\n" + "  filler line of an answer file\n" * 40_000)
    (folder / "deep.json").write_text('{"evidence": ' + "[" * 60_000 + "]" * 60_000 + "}")
    (folder / "zero-run.yaml").write_text("data: data.csv\ntarget: y\nprofiles: [eeoc-four-fifths]\npredictions: pred\nsample_rows: 0\n")
    (folder / "engine-run.yaml").write_text("data: data.csv\ntarget: y\nprofiles: [eeoc-four-fifths]\npredictions: pred\nengine: fast\n")
    (folder / "declared-run.yaml").write_text("data: data.csv\ntarget: y\nprofiles: [eeoc-four-fifths]\npredictions: pred\ndeclared: {accuracy: high}\n")
    _zip_bombs(folder)
    return folder


def _zip_bombs(folder: Path) -> None:
    """A .skops whose member claims 3 GiB (central directory forged), and one expanding 16 MiB of zeros by bzip2."""
    with zipfile.ZipFile(folder / "claims.skops", "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("schema.json", b"{}")
    data = bytearray((folder / "claims.skops").read_bytes())
    central = data.rindex(b"PK\x01\x02")
    data[central + 24 : central + 28] = struct.pack("<I", 3 * 1024**3)  # uncompressed size in the central directory
    (folder / "claims.skops").write_bytes(bytes(data))
    with zipfile.ZipFile(folder / "zeros.skops", "w", zipfile.ZIP_BZIP2) as archive:
        archive.writestr("zeros.npy", bytes(16 * 1024**2))


RUN = ["run", "--data", "data.csv", "--target", "y", "--sensitive", "sex", "--profile", "eeoc-four-fifths",
       "--format", "json", "--output", "out"]
PRED = [*RUN, "--predictions", "pred"]


def _with(args: list[str], **changes: str) -> list[str]:
    args = list(args)
    for flag, value in changes.items():
        flag = "--" + flag.replace("_", "-")
        args[args.index(flag) + 1] = value
    return args


# (case id, arguments, the exact stderr line; {f} is the folder of files)
CASES = [
    ("output is a file", _with(PRED, output="a_file"), "error: --output a_file: is a file, not a folder (give a folder; it is made if absent)"),
    ("output under a file", _with(PRED, output="a_file/out"), "error: --output a_file/out: {f}/a_file is a file, not a folder (choose another --output)"),
    ("output name too long", _with(PRED, output=LONG), f"error: --output {CUT}: the name is too long (give a shorter path)"),
    ("render output is a file", ["render", "deep.json", "--output", "a_file"], "error: --output a_file: is a file, not a folder (give a folder; it is made if absent)"),
    ("keys output under a file", ["keys", "generate", "--output", "a_file/keys"], "error: --output a_file/keys: {f}/a_file is a file, not a folder (choose another --output)"),
    ("demo output is a file", ["demo", "--output", "a_file"], "error: --output a_file: is a file, not a folder (give a folder; it is made if absent)"),
    ("card output name too long", ["card", "init", "--output", LONG], f"error: --output {CUT}: the name is too long (give a shorter path)"),
    ("duplicate CSV columns", _with(PRED, data="dup.csv"), "error: --data dup.csv: column 'sex' appears 2 times (give every column its own name)"),
    ("duplicate Parquet columns", _with(PRED, data="dup.parquet"), "error: --data dup.parquet: column 'y' appears 2 times (give every column its own name)"),
    ("target as sensitive", _with(PRED, sensitive="y"), "error: --sensitive y: is the target column (a sensitive attribute must be another column than --target)"),
    ("model with predictions", [*PRED, "--model", "m.skops"], "error: --model and --predictions cannot be used together (give --model to compute predictions, or --predictions to read them from the data)"),
    ("NaN threshold", _with(PRED, profile="nan.yaml"), "error: profile nan.yaml:{nan_line}: requirements.0.threshold.min: Input should be a finite number"),
    ("inf threshold", _with(PRED, profile="inf.yaml"), "error: profile inf.yaml:{nan_line}: requirements.0.threshold.min: Input should be a finite number"),
    ("negative seed", [*PRED, "--seed", "-1"], "error: --seed -1: it should be greater than or equal to 0"),
    ("empty format", _with(PRED, format=""), "error: --format '': names no report format (give one or more of: json, md, html, pdf, junit)"),
    ("unknown format", _with(PRED, format="json,docx"), "error: --format json,docx: 'docx' is not a report format (give one or more of: json, md, html, pdf, junit)"),
    ("render unknown format", ["render", "deep.json", "--format", "docx"], "error: --format docx: 'docx' is not a report format (give one or more of: json, md, html, pdf, junit)"),
    ("declare without =", [*PRED, "--declare", "accuracy"], "error: --declare accuracy: 'accuracy' is not NAME=VALUE (e.g. balanced_accuracy=0.72)"),
    ("declared level not finite", [*PRED, "--declare", "accuracy=nan"], "error: --declare accuracy=nan: it should be a finite number"),
    ("run file declared level", ["run", "--config", "declared-run.yaml", "--output", "out"], "error: run file declared-run.yaml: declared accuracy=high: it should be a valid number, unable to parse string as a number"),
    ("sample rows zero", [*PRED, "--sample-rows", "0"], "error: --sample-rows 0: it should be greater than or equal to 1"),
    ("unknown engine", [*PRED, "--engine", "fast"], "error: --engine fast: is not one of 'memory', 'stream' or 'dask'"),
    ("unknown task", [*PRED, "--task", "multi"], "error: --task multi: is not one of 'auto', 'binary' or 'regression'"),
    ("run file sample_rows", ["run", "--config", "zero-run.yaml", "--output", "out"], "error: run file zero-run.yaml: sample_rows 0: it should be greater than or equal to 1"),
    ("run file engine", ["run", "--config", "engine-run.yaml", "--output", "out"], "error: run file engine-run.yaml: engine fast: is not one of 'memory', 'stream' or 'dask'"),
    ("missing reference", [*PRED, "--reference", "nope.csv"], "error: --reference nope.csv: no such file (check the path)"),
    ("folder as data", _with(PRED, data="empty_dir"), "error: --data empty_dir: is a folder with no Parquet files (give a CSV or Parquet file, or a folder of Parquet files)"),
    ("folder as checklist", [*PRED, "--checklist", "empty_dir"], "error: --checklist empty_dir: is a folder, not a file (give the file itself)"),
    ("constant target", _with(PRED, data="constant.csv"), "error: target 'y' has a single value ('1'), so predictions column 'pred' ('0') cannot be compared with it (check --target names the outcome column, and that the data holds both outcomes)"),
    ("scores are not probabilities", _with([*PRED, "--scores", "score"], data="margins.csv"), "error: --scores column 'score': {outside} of 300 scores lie outside [0, 1] (from {low:.4g} to {high:.4g}), so they are not probabilities (give the probability of the positive label (e.g. a sigmoid of the score), or leave out --scores)"),
    ("long value is cut", _with(PRED, target=LONG), f"error: column '{CUT}' (given as --target) is not in the data (valid names: pred, score, sex, y)"),
    ("YAML alias bomb in a model card", [*PRED, "--model-card", "bomb-card.yaml"], "error: model card bomb-card.yaml:2: YAML aliases (*a) are not accepted (write the repeated value out in full)"),
    ("deeply nested run file", ["run", "--config", "deep-run.yaml"], "error: run file deep-run.yaml:2: nested more than 64 levels deep (flatten the file)"),
    ("YAML over the size limit", [*PRED, "--checklist", "big-answers.yaml"], "error: checklist big-answers.yaml is larger than 1 MiB ({size} bytes) (a YAML file users write is small: check the file)"),
    ("deeply nested JSON baseline", [*PRED, "--baseline", "deep.json"], "error: deep.json is nested more than 200 levels deep (a report never is: check the file)"),
    ("deeply nested JSON to verify", ["verify", "deep.json"], "error: deep.json is nested more than 200 levels deep (a report never is: check the file)"),
    ("skops claiming 3 GiB", ["run", "--model", "claims.skops", *RUN[1:]], "error: claims.skops would expand to 3221225472 bytes, more than the 2 GiB limit (check the file's source: this is how a zip bomb looks)"),
    ("skops member expanding too much", ["run", "--model", "zeros.skops", *RUN[1:]], "error: zeros.skops: member zeros.npy expands {ratio} times, more than any real model (limit 1100) (check the file's source: this is how a zip bomb looks)"),
]
FIFO_OPTIONS = ["--data", "--reference", "--model", "--checklist", "--model-card", "--baseline", "--sign-key", "--config"]


@pytest.fixture
def in_files(files, monkeypatch):
    monkeypatch.chdir(files)
    return files


@pytest.mark.parametrize("case,args,expected", CASES, ids=[c[0] for c in CASES])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(cli, in_files, case, args, expected):
    before = sorted(p.name for p in in_files.iterdir())
    ran = cli(*args)
    ratio = ""
    if "{ratio}" in expected:
        info = zipfile.ZipFile(in_files / "zeros.skops").infolist()[0]
        ratio = str(info.file_size // info.compress_size)
    margins = pd.read_csv(in_files / "margins.csv").score
    facts = {"f": in_files, "ratio": ratio, "size": (in_files / "big-answers.yaml").stat().st_size,
             "outside": int(((margins < 0) | (margins > 1)).sum()), "low": margins.min(), "high": margins.max(),
             "nan_line": (in_files / "nan.yaml").read_text().splitlines().index(
                 next(line for line in (in_files / "nan.yaml").read_text().splitlines() if "min: .nan" in line)) + 1}
    assert ran.code == 2, ran.err
    assert ran.err == expected.format(**facts) + "\n"
    assert sorted(p.name for p in in_files.iterdir()) == before  # no report folder, no key, no card


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
@pytest.mark.parametrize("option", FIFO_OPTIONS)
def test_a_pipe_is_refused_at_once(cli, in_files, option):
    args = ["run", "--config", "fifo"] if option == "--config" else [*(RUN if option == "--model" else PRED), option, "fifo"]
    ran = cli(*args)
    assert ran.code == 2
    assert ran.err == f"error: {option} fifo: is not a regular file (a pipe, socket or device) (give a file)\n"
    assert not (in_files / "out").exists()


def test_parse_formats_names_the_flag():
    from conformance import api
    from conformance.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        api.parse_formats("json,docx")
    assert "formats.1" not in str(caught.value) and str(caught.value).startswith("--format json,docx:")


def test_no_case_is_an_internal_error():
    """The corpus above covers every class of the hardening; this guards the table itself."""
    assert len(CASES) >= 30 and all(expected.startswith("error: ") for _, _, expected in CASES)
    assert sys.getrecursionlimit() < 50_000  # the deep files are deeper than Python could recurse
    assert json.loads("[" * 10 + "]" * 10) == [[[[[[[[[[]]]]]]]]]]
