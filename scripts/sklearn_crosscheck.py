#!/usr/bin/env python3
"""scikit-learn reference UARs for the ser-models classifiers (MEASUREMENT AID ONLY).

The ser project does not depend on Python: this script only exists to check that the Rust
classifiers in crates/ser-models reach scikit-learn's accuracy on the same feature table, folds,
scaling and hyper-parameters. Its counterpart is

    cargo xtask crosscheck --table /tmp/feat/emodb.default.parquet

(or `cargo run --release -p ser-eval --example crosscheck -- table.csv`), which runs the same
models through `ser_eval::crosscheck::reference_models()`. Keep the hyper-parameters of both in
step (they are listed in crates/ser-models/src/crosscheck.rs).

Protocol: leave-one-speaker-out over the `speaker` column (folds in sorted speaker order); a
StandardScaler fitted on the training speakers only; class_weight='balanced' where the model
supports it (GaussianNB: uniform priors, the same thing for a generative model); labels are the
sorted unique `emotion` names. Reports pooled UAR (recall averaged over classes on all
out-of-fold predictions) and the mean of the per-fold UARs (classes present in the test fold).

Throwaway environment:
    python3 -m venv /tmp/skvenv && /tmp/skvenv/bin/pip install scikit-learn pandas pyarrow
    /tmp/skvenv/bin/python scripts/sklearn_crosscheck.py /tmp/feat/emodb.default.parquet

Options: --models svm_rbf,random_forest (subset), --seeds 0,1,2 (random models are run once per
seed and the mean is printed), --export-csv out.csv (group,label,features... for the Rust
`crosscheck` example).
"""

import argparse
import sys
import time

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

# ser-features metadata columns (crates/ser-features/src/table.rs METADATA_COLUMNS).
METADATA = ["path", "corpus", "speaker", "sex", "emotion", "native_label", "text",
            "intensity", "age", "duration_s"]


def models(seed, n_classes):
    """The reference models; the same hyper-parameters as ser_eval::crosscheck."""
    return {
        "svm_rbf": SVC(kernel="rbf", C=1.0, gamma="scale", tol=1e-3,
                       class_weight="balanced"),
        "svm_linear": SVC(kernel="linear", C=0.01, tol=1e-3, class_weight="balanced"),
        "svm_poly": SVC(kernel="poly", C=1.0, degree=3, gamma="scale", coef0=1.0, tol=1e-3,
                        class_weight="balanced"),
        "logistic_regression": LogisticRegression(C=1.0, max_iter=5000, tol=1e-6,
                                                  class_weight="balanced"),
        "random_forest": RandomForestClassifier(n_estimators=500, max_features="sqrt",
                                                class_weight="balanced", random_state=seed,
                                                n_jobs=1),
        "knn": KNeighborsClassifier(n_neighbors=5, weights="uniform"),
        "gradient_boosting": HistGradientBoostingClassifier(
            max_iter=100, learning_rate=0.1, max_depth=3, max_leaf_nodes=None,
            min_samples_leaf=5, l2_regularization=1.0, max_bins=255, max_features=0.2,
            early_stopping=False, class_weight="balanced", random_state=seed),
        "naive_bayes": GaussianNB(priors=np.full(n_classes, 1.0 / n_classes),
                                  var_smoothing=1e-9),
        "mlp": MLPClassifier(hidden_layer_sizes=(256, 128), alpha=1e-4, batch_size=32,
                             learning_rate_init=1e-3, max_iter=200, early_stopping=True,
                             validation_fraction=0.15, n_iter_no_change=20,
                             random_state=seed),
    }


RANDOM = {"random_forest", "gradient_boosting", "mlp"}


def uar(y_true, y_pred):
    classes = np.unique(y_true)
    return float(np.mean([np.mean(y_pred[y_true == c] == c) for c in classes]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("table")
    ap.add_argument("--models", default="")
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--export-csv", default="")
    a = ap.parse_args()

    df = pd.read_parquet(a.table)
    feats = [c for c in df.columns if c not in METADATA]
    x = df[feats].to_numpy(dtype=np.float32).astype(np.float64)
    labels = sorted(df["emotion"].unique())
    y = df["emotion"].map({l: i for i, l in enumerate(labels)}).to_numpy()
    groups = df["speaker"].to_numpy()
    speakers = sorted(np.unique(groups))
    print(f"# {a.table}: {x.shape[0]} rows, {x.shape[1]} features, {len(labels)} classes "
          f"{labels}, {len(speakers)} speaker folds", flush=True)
    if a.export_csv:
        out = pd.DataFrame(df[feats].to_numpy(dtype=np.float32), columns=feats)
        out.insert(0, "label", y)
        out.insert(0, "group", groups)
        out.to_csv(a.export_csv, index=False, float_format="%.9g")
        print(f"# wrote {a.export_csv}")
        return

    folds = []
    for s in speakers:
        te = groups == s
        sc = StandardScaler().fit(x[~te])
        folds.append((~te, te, sc.transform(x[~te]), sc.transform(x[te])))

    wanted = [m for m in a.models.split(",") if m]
    seeds = [int(s) for s in a.seeds.split(",")]
    print(f"{'model':<20} {'seed':>4} {'pooled_uar':>10} {'fold_mean':>9} {'secs':>7}")
    for name in models(0, len(labels)):
        if wanted and name not in wanted:
            continue
        runs = []
        for seed in (seeds if name in RANDOM else seeds[:1]):
            t0 = time.time()
            pred = np.zeros_like(y)
            fold_uars = []
            for tr, te, xtr, xte in folds:
                m = models(seed, len(labels))[name].fit(xtr, y[tr])
                p = m.predict(xte)
                pred[te] = p
                fold_uars.append(uar(y[te], p))
            pooled = uar(y, pred)
            runs.append((pooled, float(np.mean(fold_uars))))
            print(f"{name:<20} {seed:>4} {pooled:>10.4f} {np.mean(fold_uars):>9.4f} "
                  f"{time.time() - t0:>7.1f}", flush=True)
        if len(runs) > 1:
            r = np.array(runs)
            print(f"{name:<20} mean {r[:, 0].mean():>10.4f} {r[:, 1].mean():>9.4f} "
                  f"(pooled sd {r[:, 0].std():.4f})", flush=True)


if __name__ == "__main__":
    sys.exit(main())
