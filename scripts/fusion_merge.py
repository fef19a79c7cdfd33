#!/usr/bin/env python3
"""Pool the folds of several `cargo xtask fusion` runs of one config (e.g. folds split over two
processes with --folds): UAR, accuracy and macro-F1 of the deep model, the classical pipeline and
their fusion over all test predictions, the per-fold UAR mean and std, and the deep training time
per fold. Standard library only.

    python3 scripts/fusion_merge.py out/fusion/emodb_cnn_attention out/fusion/emodb_cnn_attention_b
"""
import csv
import json
import statistics
import sys


def metrics(truth, pred):
    labels = sorted(set(truth) | set(pred))
    recalls, f1s = [], []
    for c in labels:
        tp = sum(1 for t, p in zip(truth, pred) if t == c and p == c)
        n_true = sum(1 for t in truth if t == c)
        n_pred = sum(1 for p in pred if p == c)
        if n_true:
            recalls.append(tp / n_true)
        prec = tp / n_pred if n_pred else 0.0
        rec = tp / n_true if n_true else 0.0
        f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    acc = sum(1 for t, p in zip(truth, pred) if t == p) / len(truth)
    return sum(recalls) / len(recalls), acc, sum(f1s) / len(f1s)


def main(dirs):
    rows, folds, seen = [], [], set()
    for d in dirs:
        res = json.load(open(f"{d}/results.json"))
        new = [f for f in res["folds"] if f["fold"] not in seen]
        seen |= {f["fold"] for f in new}
        folds += new
        keep = {f["fold"] for f in new}
        with open(f"{d}/predictions.csv") as fh:
            rows += [r for r in csv.DictReader(fh) if int(r["fold"]) in keep]
    folds.sort(key=lambda f: f["fold"])
    truth = [r["truth"] for r in rows]
    print(f"{len(folds)} folds ({', '.join(f['name'] for f in folds)}), {len(rows)} test rows")
    for system, key in [("deep", "deep"), ("classical", "classical"), ("fusion", "fused")]:
        uar, acc, f1 = metrics(truth, [r[key] for r in rows])
        per = [f[f"uar_{key}"] for f in folds]
        sd = statistics.stdev(per) if len(per) > 1 else 0.0
        print(f"{system:<10} UAR {uar:.3f}  fold mean {statistics.mean(per):.3f} ± {sd:.3f}"
              f"  accuracy {acc:.3f}  macro-F1 {f1:.3f}")
    fit = [f["deep_fit_s"] for f in folds]
    print(f"deep training per fold: mean {statistics.mean(fit):.0f} s, "
          f"min {min(fit):.0f} s, max {max(fit):.0f} s (wall clock)")


if __name__ == "__main__":
    main(sys.argv[1:])
