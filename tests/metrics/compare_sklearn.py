#!/usr/bin/env python3
"""Checks tinyae's metrics (tests/metrics/metrics_tool) against scikit-learn.

Random scores and labels, with many ties (scores rounded to a few values) and
without, are written as CSV; metrics_tool prints tinyae's ROC curve, AUC, pAUC,
thresholds and confusion counts; each is compared with sklearn and numpy.
Exits 77 (CTest: skipped) when scikit-learn is not installed.

Usage: compare_sklearn.py METRICS_TOOL WORK_DIR
"""
import json
import os
import subprocess
import sys

try:
    import numpy as np
    from sklearn import metrics
except ImportError as e:
    print(f"skipped: {e} (apt-get install python3-sklearn)")
    sys.exit(77)

TOLERANCE = 1e-12


def run_case(tool, work, name, scores, labels):
    path = os.path.join(work, f"{name}.csv")
    with open(path, "w") as f:
        f.write("score,label\n")
        for s, l in zip(scores, labels):
            f.write(f"{s!r},{l}\n")
    out = json.loads(subprocess.run([tool, path], check=True, capture_output=True, text=True).stdout)

    fpr, tpr, thresholds = metrics.roc_curve(labels, scores, drop_intermediate=False)
    normal = scores[labels == 0]
    expected = {
        "auc": metrics.roc_auc_score(labels, scores),
        "pauc": metrics.roc_auc_score(labels, scores, max_fpr=0.1),
        "pauc_0.3": metrics.roc_auc_score(labels, scores, max_fpr=0.3),
        "percentile_95": float(np.percentile(normal, 95)),
    }
    failures = []
    for key, value in expected.items():
        if abs(out[key] - value) > TOLERANCE:
            failures.append(f"{key}: tinyae {out[key]!r}, sklearn {value!r}")
    for key, value in (("fpr", fpr), ("tpr", tpr), ("thresholds", thresholds[1:])):
        mine = np.array(out[key] if key == "thresholds" else out[key])
        if mine.shape != value.shape or np.max(np.abs(mine - value)) > TOLERANCE:
            failures.append(f"{key}: tinyae {mine[:6]}..., sklearn {value[:6]}... (lengths {mine.size}, {value.size})")

    # The max-FPR threshold: at most floor(0.1 N) normals above it, and no lower
    # score keeps that bound (it maximises the true positive rate).
    threshold = out["threshold_max_fpr_0.1"]
    allowed = int(np.floor(0.1 * normal.size))
    if np.sum(normal > threshold) > allowed:
        failures.append(f"threshold {threshold}: {np.sum(normal > threshold)} normals above it, allowed {allowed}")
    lower = scores[scores < threshold]
    if lower.size and np.sum(normal > lower.max()) <= allowed:
        failures.append(f"threshold {threshold} is not the lowest: {lower.max()} also keeps the bound")
    confusion = metrics.confusion_matrix(labels, (scores > threshold).astype(int), labels=[0, 1]).ravel().tolist()
    if out["confusion"] != confusion:
        failures.append(f"confusion at {threshold}: tinyae {out['confusion']}, sklearn {confusion}")

    status = "ok" if not failures else "FAILED"
    print(f"{name}: n={scores.size} anomalies={int(labels.sum())} distinct={np.unique(scores).size} "
          f"auc={out['auc']:.6f} pauc={out['pauc']:.6f} {status}")
    for failure in failures:
        print("   ", failure)
    return not failures


def main():
    tool, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(20261201)
    ok = True
    for case in range(12):
        n = int(rng.integers(5, 3000))
        labels = (rng.random(n) < rng.uniform(0.05, 0.5)).astype(int)
        labels[0], labels[1] = 0, 1  # both classes present
        scores = rng.normal(size=n) + labels * rng.uniform(0, 2)
        if case % 2:  # heavy ties
            scores = np.round(scores, 1)
        scores = scores.astype(np.float32).astype(np.float64)  # exactly what the CSV reader reads
        ok &= run_case(tool, work, f"case{case}", scores, labels)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
