"""The demo's model: trained deterministically on the shipped German Credit data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from conformance.datasets import load_german_credit

TARGET = "risk"
SENSITIVE = ["sex", "age_group"]
PROFILES = ["eu-ai-act-high-risk", "eeoc-four-fifths"]
TRUSTED_TYPES = ["sklearn.tree._tree.Tree"]
MODEL_FILE, TEST_FILE, TRAIN_FILE, CARD_FILE = "model.skops", "german_credit_test.csv", "german_credit_train.csv", "model-card.yaml"


def train_demo_model(seed: int = 0) -> tuple[object, pd.DataFrame, pd.DataFrame]:
    """A gradient-boosted credit model and its train/test split (70/30, stratified, seeded).

    The model sees every column but the target and the derived age group, sex and age
    included: the kind of model a fairness audit exists to catch.
    """
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    frame = load_german_credit()
    train, test = train_test_split(frame, test_size=0.3, random_state=seed, stratify=frame[TARGET])
    features = [c for c in frame.columns if c not in (TARGET, "age_group")]
    categorical = [c for c in features if not pd.api.types.is_numeric_dtype(frame[c])]
    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), categorical), remainder="passthrough"
        ),
        GradientBoostingClassifier(n_estimators=150, max_depth=3, random_state=seed),
    )
    model.fit(train[features], train[TARGET])
    return model, train.reset_index(drop=True), test.reset_index(drop=True)


ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can carry


def _deterministic_skops(archive: bytes) -> bytes:
    """The same skops zip, written so that one model always gives the same bytes.

    skops names array files and memo ids after ``id()`` of the objects (memory addresses) and
    dates zip entries with the time of writing; both change between runs, so the model's hash
    and the evidence hash would too. Ids are renumbered in order of first appearance in the
    schema (references stay consistent) and entries dated ``ZIP_EPOCH``.
    """
    import io
    import re
    import zipfile

    with zipfile.ZipFile(io.BytesIO(archive)) as source:
        schema = source.read("schema.json").decode("utf-8")
        ids: dict[str, str] = {}
        for found in re.finditer(r'"__id__": (\d+)|"file": "(\d+)\.npy"', schema):
            ids.setdefault(found.group(1) or found.group(2), str(len(ids) + 1))
        schema = re.sub(r'("__id__": )(\d+)', lambda m: m.group(1) + ids[m.group(2)], schema)
        schema = re.sub(r'("file": ")(\d+)(\.npy")', lambda m: m.group(1) + ids[m.group(2)] + m.group(3), schema)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for entry in source.infolist():
                name = entry.filename
                if name.endswith(".npy") and name[:-4] in ids:
                    name = ids[name[:-4]] + ".npy"
                fixed = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
                fixed.compress_type, fixed.external_attr = entry.compress_type, entry.external_attr
                data = schema.encode("utf-8") if entry.filename == "schema.json" else source.read(entry)
                target.writestr(fixed, data)
    return out.getvalue()


def write_demo_inputs(folder: Path, seed: int = 0) -> tuple[Path, Path]:
    """Save the demo model (skops), its test and training data (CSV) and its model card.

    Returns the model and test-data paths; the training data (``TRAIN_FILE``, the reference of
    shift and privacy checks) and the card (``CARD_FILE``) sit beside them.
    """
    import shutil
    from importlib import resources

    import skops.io as sio

    model, train, test = train_demo_model(seed)
    folder.mkdir(parents=True, exist_ok=True)
    model_path, data_path = folder / MODEL_FILE, folder / TEST_FILE
    model_path.write_bytes(_deterministic_skops(sio.dumps(model)))
    test.to_csv(data_path, index=False)
    train.to_csv(folder / TRAIN_FILE, index=False)
    with resources.as_file(resources.files("conformance.datasets") / "demo-model-card.yaml") as card:
        shutil.copyfile(card, folder / CARD_FILE)
    return model_path, data_path
