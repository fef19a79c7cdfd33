#!/usr/bin/env python3
"""openSMILE eGeMAPS / ComParE + SVM on the same files and folds as a ser grid search
(MEASUREMENT AID ONLY: the project does not depend on Python).

Reads the `predictions.csv` a `cargo xtask grid-search` run wrote (its files, speakers, labels
and outer folds) and the feature table it read (for the text column), extracts openSMILE
functionals for the same files (cached as .npz in --cache), and runs, per outer fold:

- nested SVM: kernel and C chosen from {linear C=0.001, 0.01; rbf C=1, 10} by mean UAR over an
  inner split of the training side (leave-one-speaker-out over the training speakers; with a
  single training speaker, grouped 5-fold by text, as ser does), refitted on the whole
  training side; class_weight="balanced";
- every candidate on the outer folds (reference only: picking the best of them chooses on the
  test speakers).

under the normalisation protocols ser reports: `training` (StandardScaler fitted on the
training side), `per_speaker` (each speaker z-scored with its own utterances, then the scaler),
`enrolment` (training speakers with all their utterances, each test speaker with the statistics
of `--enrolment` of them, chosen exactly as ser chooses them: FNV-1a of seed and path),
`enrolment_shrunk` (every speaker centred on its mean shrunk toward the training speakers'
average, ser_models::ShrunkCentring, population statistics fitted on each fit's training
speakers; a test speaker's mean from the same `--enrolment` utterances).
Prints one Markdown table: pooled UAR per set, protocol and model.

Environment (throwaway):
    python3 -m venv /tmp/anchors-venv
    /tmp/anchors-venv/bin/pip install numpy pandas pyarrow scikit-learn opensmile
Run:
    cargo xtask grid-search --config configs/emodb.toml --out /tmp/g/emodb
    /tmp/anchors-venv/bin/python scripts/opensmile_baseline.py /tmp/g/emodb \
        out/features/emodb.default.parquet --sets egemaps compare
"""

import argparse
import hashlib
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

CANDIDATES = [
    ("svm linear C=0.001", dict(kernel="linear", C=0.001)),
    ("svm linear C=0.01", dict(kernel="linear", C=0.01)),
    ("svm rbf C=1", dict(kernel="rbf", C=1.0, gamma="scale")),
    ("svm rbf C=10", dict(kernel="rbf", C=10.0, gamma="scale")),
]


def fnv1a(seed, path):
    h = 0xCBF29CE484222325
    for b in seed.to_bytes(8, "little") + path.encode():
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def zscore_groups(X, groups, fit_mask=None):
    """Each group standardised with the mean/std of its rows where fit_mask (all rows if None)."""
    out = np.empty_like(X)
    for g in np.unique(groups):
        m = groups == g
        f = m if fit_mask is None else (m & fit_mask)
        mu, sd = X[f].mean(0), X[f].std(0)
        sd[sd == 0] = 1.0
        out[m] = (X[m] - mu) / sd
    return out


def extract(paths, name, cache):
    os.makedirs(cache, exist_ok=True)
    key = hashlib.sha1("\n".join(paths).encode()).hexdigest()[:12]
    f = os.path.join(cache, f"{name}_{len(paths)}_{key}.npz")
    if os.path.exists(f):
        d = np.load(f, allow_pickle=False)
        if list(d["path"]) == list(paths):
            return d["X"], float(d["seconds"])
    import opensmile

    fs = {"egemaps": opensmile.FeatureSet.eGeMAPSv02, "compare": opensmile.FeatureSet.ComParE_2016}[name]
    sm = opensmile.Smile(feature_set=fs, feature_level=opensmile.FeatureLevel.Functionals)
    t0 = time.perf_counter()
    X = np.vstack([sm.process_file(p).values for p in paths]).astype(np.float64)
    secs = time.perf_counter() - t0
    tmp = f + ".tmp.npz"
    np.savez(tmp, X=X, path=np.array(paths), seconds=secs)
    os.replace(tmp, f)
    return X, secs


def inner_splits(spk, text):
    if len(np.unique(spk)) >= 2:
        return list(LeaveOneGroupOut().split(spk, groups=spk))
    k = min(5, len(np.unique(text)))
    return list(GroupKFold(n_splits=k).split(text, groups=text))


def fit_predict(params, Xtr, ytr, Xte):
    sc = StandardScaler().fit(Xtr)
    m = SVC(class_weight="balanced", **params).fit(sc.transform(Xtr), ytr)
    return m.predict(sc.transform(Xte))


def enrolment_mask(spk, paths, enrol_k, seed):
    mask = np.zeros(len(spk), bool)
    for s in np.unique(spk):
        rows = np.where(spk == s)[0]
        order = sorted(rows, key=lambda i: (fnv1a(seed, paths[i]), i))
        mask[order[:enrol_k]] = True
    return mask


def shrunk_centres(X, spk, train, who, rows_of):
    """Centres (one row per entry of `who`) of the speakers `who`, each from its rows
    `rows_of(s)`, shrunk toward the average of the training speakers, whose moments come from
    the training rows only (empirical Bayes, as ser_models::ShrunkCentring)."""
    tspk = np.unique(spk[train])
    means = np.array([X[(spk == s) & train].mean(0) for s in tspk])
    var = np.array([X[(spk == s) & train].var(0) for s in tspk])
    n = np.array([((spk == s) & train).sum() for s in tspk], float)
    avg, within = means.mean(0), var.mean(0)
    if len(tspk) >= 2:
        between = np.maximum(0.0, means.var(0, ddof=1) - (var / n[:, None]).mean(0))
    else:
        between = None
    out = {}
    for s in np.unique(who):
        r = rows_of(s)
        m, k = X[r].mean(0), len(r)
        if between is None:
            w = np.ones_like(m)
        else:
            den = between + within / k
            w = np.where(den > 0, between / np.where(den > 0, den, 1.0), 1.0)
        out[s] = avg + w * (m - avg)
    return np.array([out[s] for s in who])


def run(X, y, spk, text, folds, paths, protocol, enrol_k, seed):
    n = len(y)
    shrunk = protocol == "enrolment_shrunk"
    if protocol in ("training", "enrolment_shrunk"):
        Xtr_all = Xte_all = X
    elif protocol == "per_speaker":
        Xtr_all = Xte_all = zscore_groups(X, spk)
    elif protocol == "enrolment":
        Xtr_all = zscore_groups(X, spk)
        Xte_all = zscore_groups(X, spk, enrolment_mask(spk, paths, enrol_k, seed))
    else:
        raise ValueError(protocol)
    enrol = enrolment_mask(spk, paths, enrol_k, seed)

    def sides(tr_idx, te_idx, inner=False):
        """Training and test matrices of one fit (global row indices); an inner fit's test side
        is a training speaker, standardised as the training side is (shrunk: centred from its
        enrolment utterances, as ser does)."""
        Xtr, Xte = Xtr_all[tr_idx], (Xtr_all if inner else Xte_all)[te_idx]
        if shrunk:
            train = np.zeros(n, bool)
            train[tr_idx] = True
            Xtr = Xtr - shrunk_centres(X, spk, train, spk[tr_idx],
                                       lambda s: np.where((spk == s) & train)[0])
            Xte = Xte - shrunk_centres(X, spk, train, spk[te_idx],
                                       lambda s: np.where((spk == s) & enrol)[0])
        return Xtr, Xte

    nested = np.empty(n, dtype=object)
    fixed = {name: np.empty(n, dtype=object) for name, _ in CANDIDATES}
    for f in np.unique(folds):
        te = np.where(folds == f)[0]
        tr = np.where(folds != f)[0]
        ytr = y[tr]
        splits = inner_splits(spk[tr], text[tr])
        best, best_score = None, -1.0
        for name, params in CANDIDATES:
            scores = []
            for a, b in splits:
                xa, xb = sides(tr[a], tr[b], inner=True)
                p = fit_predict(params, xa, ytr[a], xb)
                scores.append(balanced_accuracy_score(ytr[b], p))
            if np.mean(scores) > best_score:
                best, best_score = params, np.mean(scores)
            Xtr, Xte = sides(tr, te)
            fixed[name][te] = fit_predict(params, Xtr, ytr, Xte)
        Xtr, Xte = sides(tr, te)
        nested[te] = fit_predict(best, Xtr, ytr, Xte)
    out = {"nested SVM": balanced_accuracy_score(y, nested.astype(str))}
    for name, pred in fixed.items():
        out[name] = balanced_accuracy_score(y, pred.astype(str))
    return out


def main():
    # inner folds of one speaker may lack a class; balanced accuracy then warns on every call
    warnings.filterwarnings("ignore", message="y_pred contains classes not in y_true")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("grid_out", help="folder of a ser grid-search run (its predictions.csv)")
    ap.add_argument("table", help="the ser feature table the run read (for the text column)")
    ap.add_argument("--sets", nargs="+", default=["egemaps", "compare"])
    ap.add_argument("--protocols", nargs="+",
                    default=["training", "per_speaker", "enrolment", "enrolment_shrunk"])
    ap.add_argument("--enrolment", type=int, default=10)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--cache", default="/tmp/opensmile-cache")
    a = ap.parse_args()
    pred = pd.read_csv(os.path.join(a.grid_out, "predictions.csv"))
    table = pd.read_parquet(a.table, columns=["path", "text"])
    text_of = dict(zip(table["path"], table["text"].fillna("")))
    paths = list(pred["path"])
    y = pred["truth"].to_numpy().astype(str)
    spk = pred["speaker"].to_numpy().astype(str)
    folds = pred["fold"].to_numpy().astype(str)
    text = np.array([text_of.get(p, "") for p in paths])
    print(f"{a.grid_out}: {len(paths)} files, {len(np.unique(spk))} speakers, "
          f"{len(np.unique(folds))} outer folds", file=sys.stderr)
    print("| features | protocol | nested SVM | " + " | ".join(n for n, _ in CANDIDATES) + " |")
    print("|---|---|---:|" + "---:|" * len(CANDIDATES))
    for s in a.sets:
        X, secs = extract(paths, s, a.cache)
        X = np.nan_to_num(X)
        print(f"{s}: {X.shape[1]} features, extraction {secs:.1f} s", file=sys.stderr)
        for proto in a.protocols:
            r = run(X, y, spk, text, folds, paths, proto, a.enrolment, a.seed)
            cells = " | ".join(f"{r[n]:.3f}" for n, _ in CANDIDATES)
            print(f"| {s} ({X.shape[1]}) | {proto} | **{r['nested SVM']:.3f}** | {cells} |", flush=True)


if __name__ == "__main__":
    main()
