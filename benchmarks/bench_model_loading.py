"""Loading a pickled or joblib model safely: the opcode scan and the restricted load, beside the unsafe loaders.

A random forest (200 trees, 20 000 rows, 20 features) is saved as a pickle (protocol 5), a joblib
file and a zlib-compressed joblib file. For each, the best of three runs of: the scan alone, the
scan plus the policy-checked load (what ``--trust-model`` does), and ``pickle.load`` /
``joblib.load`` (which a hostile file would own). Target: the safe path under 1 s for this model.

    python benchmarks/bench_model_loading.py [--trees 200]
"""

from __future__ import annotations

import argparse
import pickle
import tempfile
import time
from pathlib import Path

import joblib
import numpy as np
from sklearn.ensemble import RandomForestClassifier

from conformance.io import pickle_scan


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trees", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20_000, 20))
    y = (x[:, 0] + rng.normal(size=20_000) > 0).astype(int)
    model = RandomForestClassifier(n_estimators=args.trees, max_depth=12, random_state=0, n_jobs=1).fit(x, y)
    with tempfile.TemporaryDirectory() as tmp:
        files = {"pickle": Path(tmp) / "m.pkl", "joblib": Path(tmp) / "m.joblib", "joblib zlib": Path(tmp) / "mz.joblib"}
        files["pickle"].write_bytes(pickle.dumps(model, protocol=5))
        joblib.dump(model, files["joblib"])
        joblib.dump(model, files["joblib zlib"], compress=3)
        print(f"random forest, {args.trees} trees")
        print(f"{'file':<12} {'MB':>7} {'scan s':>8} {'scan+load s':>12} {'unsafe load s':>14} {'ratio':>6}")
        for kind, path in files.items():
            scan = best(lambda: pickle_scan.scan_file(path))
            safe = best(lambda: pickle_scan.load_file(path, []) if not pickle_scan.verdict(pickle_scan.scan_file(path).imports, []).refused else None)
            unsafe = best(lambda: pickle.loads(path.read_bytes()) if kind == "pickle" else joblib.load(path))
            print(f"{kind:<12} {path.stat().st_size / 1e6:7.1f} {scan:8.3f} {safe:12.3f} {unsafe:14.3f} {safe / unsafe:6.1f}")


if __name__ == "__main__":
    main()
