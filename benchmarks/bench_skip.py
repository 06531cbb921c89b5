"""The linear skip connection on a synthetic table: linear plus one interaction.

The target of both tables (regression and classification) is
``f(x) = x[:, :8] @ beta + x0 * x1`` on 50 standard normal features (8
informative, 42 noise), with noise: ``y = f + N(0, 0.5²)`` (regression) or
``y = [f + logistic noise > 0]`` (classification).  Methods (from
``bench_real.METHODS``, run by its ``run_one``: the same Pipeline, target
scaling, metrics and LassoNet isolation): skreg's CV estimator without a skip,
with a skip, with a skip and the hierarchy along ``skip_alpha``, and
LassoNet's CV at its defaults.  Rows go to ``results/bench_skip.json`` and the
table to ``results/bench_skip.md``; a rerun skips the rows already there.

Usage::

    python benchmarks/bench_skip.py --lassonet-timeout 900
    python benchmarks/bench_skip.py --report-only
"""

import argparse
import sys
import time
from pathlib import Path

import bench_real as R
import numpy as np

import _common as C

N_SAMPLES = 1000
N_FEATURES = 50
N_INFORMATIVE = 8
NOISE_SD = 0.5
METHODS = ("skreg_cv", "skreg_cv_skip", "skreg_cv_hier", "lassonet_cv")


def synthetic(task):
    """The table of ``task`` ("reg" or "class") as a ``bench_real.Data``."""
    import pandas as pd

    rng = np.random.default_rng(C.SEED)
    X = rng.standard_normal((N_SAMPLES, N_FEATURES))
    beta = rng.choice([-1.0, 1.0], N_INFORMATIVE) * rng.uniform(0.5, 1.5, N_INFORMATIVE)
    f = X[:, :N_INFORMATIVE] @ beta + X[:, 0] * X[:, 1]
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(N_FEATURES)])
    name = f"linear_plus_product_{task}"
    table = R.Table(name, "synthetic", name, "y", task)
    note = f"{N_INFORMATIVE} informative of {N_FEATURES}, product x0*x1"
    if task == "reg":
        y = f + NOISE_SD * rng.standard_normal(N_SAMPLES)
        return R.Data(table, frame, y, [], note)
    y = (f + rng.logistic(size=N_SAMPLES) > 0).astype(int)
    return R.Data(table, frame, y, ["0", "1"], note)


def _by_key(rows):
    return {(r["dataset"], r["method"], r["split"]): r for r in rows if r["status"] == "ok"}


def _paired(rows, dataset, method, other, key="score"):
    """(this method's value, the other's) on every split where both ran."""
    return [
        (r[key], rows[(dataset, other, s)][key])
        for (d, m, s), r in sorted(rows.items())
        if d == dataset and m == method and (dataset, other, s) in rows
    ]


def summary(rows, datasets, stored=None):
    """The comparison table: per dataset and skreg method, the mean score over
    the splits LassoNet ran (and its difference), features kept, median time
    and the median ratio of LassoNet's time to it, and the paired difference
    to skreg without the skip with its standard error over splits."""
    rows = _by_key(rows)
    headers = [
        "dataset",
        "method",
        "splits",
        "score",
        "- LassoNet",
        "- skreg_cv (± 2 SE)",
        "features kept",
        "fit s",
        "LassoNet s / fit s",
        "same, at bench_real's load",
    ]
    out = []
    for dataset in datasets:
        for method in ("skreg_cv", "skreg_cv_skip", "skreg_cv_hier", "lassonet_cv"):
            mine = [r for (d, m, _), r in rows.items() if d == dataset and m == method]
            if not mine:
                continue
            lasso = _paired(rows, dataset, method, "lassonet_cv")
            base = _paired(rows, dataset, method, "skreg_cv")
            times = _paired(rows, dataset, method, "lassonet_cv", "seconds")
            diff = [a - b for a, b in base]
            se = np.std(diff, ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else 0.0
            out.append(
                [
                    dataset,
                    method,
                    len(mine),
                    f"{np.mean([r['score'] for r in mine]):.3f}",
                    f"{np.mean([a - b for a, b in lasso]):+.3f} [{len(lasso)}]" if lasso else "-",
                    f"{np.mean(diff):+.3f} ± {2 * se:.3f}" if method != "skreg_cv" else "-",
                    f"{np.mean([r['n_features_used'] for r in mine]):.1f} / "
                    f"{mine[0]['n_transformed']}",
                    f"{np.median([r['seconds'] for r in mine]):.2f}",
                    f"{np.median([b / a for a, b in times]):.0f}" if times else "-",
                    _at_stored_load(rows, stored, dataset, method),
                ]
            )
    return C.markdown_table(headers, out)


def _rows(name):
    path = C.RESULTS_DIR / name
    return R.load_results(path)["rows"] if path.exists() else []


def write_summary():
    """results/bench_skip_summary.md: the real tables (this run's skreg rows,
    bench_real.json's LassoNet rows on the same split seeds) and the
    synthetic ones, and how far the stored skreg_cv scores are from this
    run's (the splits' check)."""
    stored = _rows("bench_real.json")
    real = _rows("bench_skip_real.json")
    tables = list(dict.fromkeys(r["dataset"] for r in real))
    lassonet = [r for r in stored if r["method"] == "lassonet_cv" and r["dataset"] in tables]
    synthetic_rows = [
        *_rows("bench_skip.json"),
        *_rows("bench_skip_reg.json"),
        *_rows("bench_skip_class.json"),
    ]
    synthetic_tables = list(dict.fromkeys(r["dataset"] for r in synthetic_rows))
    old = _by_key([r for r in stored if r["method"] == "skreg_cv"])
    new = _by_key([r for r in real if r["method"] == "skreg_cv"])
    gaps = [abs(old[k]["score"] - new[k]["score"]) for k in new if k in old]
    check = (
        f"skreg_cv here against bench_real.json's on the same (table, split): "
        f"{len(gaps)} pairs, largest score difference {max(gaps, default=float('nan')):.4f}."
    )
    text = "\n\n".join(
        [
            "### The skip connection against LassoNet",
            summary(
                real + lassonet, tables, {(d, s): r["seconds"] for (d, _, s), r in old.items()}
            ),
            check,
            summary(synthetic_rows, synthetic_tables),
        ]
    )
    (C.RESULTS_DIR / "bench_skip_summary.md").write_text(text + "\n")
    print(text)


def _at_stored_load(rows, stored, dataset, method):
    """LassoNet's time over this method's, with this method's time estimated
    at the load of bench_real.json's run: its skreg_cv time on the split
    times this method's / skreg_cv's here (the two run one after the other)."""
    ratios = []
    for s in range(10):
        keys = [(dataset, m, s) for m in (method, "skreg_cv", "lassonet_cv")]
        if stored and all(k in rows for k in keys) and (dataset, s) in stored:
            mine, base, lasso = (rows[k]["seconds"] for k in keys)
            ratios.append(lasso / (stored[(dataset, s)] * mine / base))
    return f"{np.median(ratios):.0f}" if ratios and method != "lassonet_cv" else "-"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--tasks", nargs="+", choices=("reg", "class"), default=["reg", "class"])
    parser.add_argument("--splits", type=int, default=3)
    parser.add_argument("--lassonet-timeout", type=float, default=900.0)
    parser.add_argument("--lassonet-threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=C.RESULTS_DIR / "bench_skip.json")
    parser.add_argument("--force", action="store_true", help="refit rows already in the JSON")
    parser.add_argument("--report-only", action="store_true", help="only rebuild the markdown")
    parser.add_argument(
        "--summary", action="store_true", help="only write results/bench_skip_summary.md"
    )
    return parser.parse_args(argv)


def run(args, results):
    done = {(r["dataset"], r["split"], r["method"]) for r in results["rows"]}
    for task in args.tasks:
        data = synthetic(task)
        results["datasets"][data.table.name] = R.describe(data)
        for seed in range(args.splits):
            for name in args.methods:
                key = (data.table.name, seed, name)
                if key in done and not args.force:
                    continue
                row = R.run_one(data, seed, R.METHODS_BY_NAME[name], args)
                results["rows"] = [
                    r for r in results["rows"] if (r["dataset"], r["split"], r["method"]) != key
                ]
                results["rows"].append(row)
                R.save_results(args.out, results)
                R._print_row(row)


def main(argv=None):
    args = parse_args(argv)
    if args.summary:
        write_summary()
        return 0
    C.silence_convergence_warnings()
    results = R.load_results(args.out)
    results["benchmark"] = "bench_skip"
    if not args.report_only:
        session = {"started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": C.machine_info()}
        session["args"] = {k: str(v) for k, v in vars(args).items()} | {"out": args.out.name}
        results["sessions"].append(session)
        R.warm_up([m for m in args.methods if m != "lassonet_cv"])
        run(args, results)
    text = R.markdown(results).replace(
        "### Real data: tuned networks against other tuned models",
        "### Linear plus one interaction: the skip connection",
    )
    R.write_report(args, results, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
