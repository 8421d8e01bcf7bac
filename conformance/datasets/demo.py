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
    sio.dump(model, model_path)
    test.to_csv(data_path, index=False)
    train.to_csv(folder / TRAIN_FILE, index=False)
    with resources.as_file(resources.files("conformance.datasets") / "demo-model-card.yaml") as card:
        shutil.copyfile(card, folder / CARD_FILE)
    return model_path, data_path
