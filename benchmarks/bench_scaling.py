"""Does a fit's cost grow as the work does?  Time per epoch and peak memory
as the number of rows grows from 10^4 to 10^6.

Each row count runs in a fresh process: the data (``make_classification``,
50 float64 features) is built first, then skreg's classifier (hidden layer
of 64, batch 200, Adam, a stopping rule that never fires) is fitted for
one epoch and for one plus enough epochs to pass over ``extra_rows`` rows
(at least 2), ``repeats`` times each, and the time per epoch is the median
of (t_long - t_short) / extra epochs: validation, allocation and compilation
cancel, and every size times about the same amount of work.  The peak memory of one fit is its peak
RSS minus the RSS before it (``/proc/self/clear_refs``), so X itself is not
in it.  scikit-learn's MLP runs the same way, for the ratio.

Targets: the time per row at every size within 10 % of the time per row at
10^4 rows; the memory a fit adds beyond X bounded by the batch and the
parameters, not by n: reported as its growth per row over the range, whose
target is 0 bytes (X itself takes 8 bytes per feature and row).

``--csr`` measures the columns instead of the rows: 20 000 rows of CSR
input with the same 2 * 10^6 nonzeros (100 a row) spread over 10^4 and
over 10^5 columns, each in a fresh process as above.  Target: the epoch over
10^5 columns at most twice the epoch over 10^4 (the cost follows the
nonzeros, not the columns).

Usage: python benchmarks/bench_scaling.py [--quick] [--csr] [--report-only]
"""

import argparse
import json
import statistics
import subprocess
import sys
import time

from bench_predict import peak_rss_delta_mib

import _common as C

FULL = dict(rows=(10_000, 30_000, 100_000, 300_000, 1_000_000), repeats=5, extra_rows=2_000_000)
QUICK = dict(rows=(10_000, 30_000), repeats=1, extra_rows=100_000)
N_FEATURES, HIDDEN, BATCH = 50, (64,), 200
ESTIMATORS = ("skreg", "sklearn")
TIME_TOLERANCE = 0.10  # time per row within 10 % of the smallest size's
CSR_FULL = dict(rows=20_000, nnz_per_row=100, columns=(10_000, 100_000), repeats=3, extra=2)
CSR_QUICK = dict(CSR_FULL, rows=2_000, repeats=1)
CSR_RATIO = 2.0  # the epoch over the most columns at most this times the fewest's


def child_measure(spec):
    """Time per epoch and the peak memory of a fit, for one row count and
    one estimator, in this (fresh) process."""
    C.silence_convergence_warnings()
    if "columns" in spec:
        X, y = csr_data(spec["rows"], spec["columns"], spec["nnz_per_row"])
    else:
        X, y = C.classification_data(spec["rows"], N_FEATURES, "float64")
    name = spec["estimator"]
    C.make_estimator(name, HIDDEN, BATCH, 1).fit(X[:256], y[:256])  # compile, warm caches
    memory, how = peak_rss_delta_mib(lambda: C.make_estimator(name, HIDDEN, BATCH, 1).fit(X, y))
    extra = spec.get("extra") or max(2, spec["extra_rows"] // spec["rows"])

    def seconds(epochs):
        est = C.make_estimator(name, HIDDEN, BATCH, epochs)
        start = time.perf_counter()
        est.fit(X, y)
        return time.perf_counter() - start

    per_epoch = []
    for _ in range(spec["repeats"]):
        short, long = seconds(1), seconds(1 + extra)
        per_epoch.append((long - short) / extra)
    return {
        **spec,
        "extra_epochs": extra,
        "ms_per_epoch": 1e3 * statistics.median(per_epoch),
        "ms_per_epoch_all": [1e3 * s for s in per_epoch],
        "fit_peak_mib": memory,
        "memory_method": how,
        "x_mib": array_bytes(X) / 2**20,
    }


def array_bytes(X):
    """The bytes of X's arrays (for CSR input, its three)."""
    if hasattr(X, "indptr"):
        return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    return X.nbytes


def csr_data(rows, columns, nnz_per_row):
    """A random CSR matrix with ``rows * nnz_per_row`` nonzeros over
    ``columns`` columns, and two classes split at the median of a linear
    rule on every column."""
    import numpy as np
    import scipy.sparse as sp

    rng = np.random.default_rng(C.SEED)
    X = sp.random(rows, columns, density=nnz_per_row / columns, format="csr", random_state=rng)
    score = X @ rng.standard_normal(columns)
    return X, (score > np.median(score)).astype(int)


def run_child(spec):
    command = [sys.executable, __file__, "--child", json.dumps(spec)]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(cfg):
    """Each row count and estimator in a fresh process."""
    specs = [
        dict(rows=rows, repeats=cfg["repeats"], extra_rows=cfg["extra_rows"])
        for rows in cfg["rows"]
    ]
    return run_specs(specs)


def measure_csr(cfg):
    """Each column count and estimator in a fresh process."""
    shared = {k: v for k, v in cfg.items() if k != "columns"}
    return run_specs([dict(shared, columns=columns) for columns in cfg["columns"]])


def run_specs(specs):
    """Every spec with each estimator, in order, one fresh process each."""
    results = []
    for spec in specs:
        for name in ESTIMATORS:
            results.append(run_child(dict(spec, estimator=name)))
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    return results


def render_csr(payload):
    """The ``--csr`` table: ms per epoch per column count, and the target."""
    cfg, results = payload["config"], payload["results"]
    by = {(r["estimator"], r["columns"]): r["ms_per_epoch"] for r in results}
    fewest, most = min(cfg["columns"]), max(cfg["columns"])
    rows = [
        [f"{c:,}"]
        + [C.fmt(by[name, c]) for name in ESTIMATORS]
        + [C.fmt(by["skreg", c] / by["skreg", fewest])]
        for c in sorted(cfg["columns"])
    ]
    header = ["columns", "skreg ms/epoch", "sklearn ms/epoch", "skreg / at fewest columns"]
    title = (
        f"### CSR input: {cfg['rows']:,} rows, {cfg['nnz_per_row']} nonzeros a row, hidden "
        f"{HIDDEN}, batch {BATCH} (median of {cfg['repeats']} pairs of fits: 1 and "
        f"{1 + cfg['extra']} epochs)"
    )
    ratio = by["skreg", most] / by["skreg", fewest]
    goal = C.target(f"epoch over {most:,} columns / over {fewest:,}", ratio, CSR_RATIO, True)
    machine = payload["machine"]
    caption = C.machine_caption(machine, machine.get("load_average_at_end"))
    table = C.markdown_table(header, rows)
    return "\n\n".join([title, table, caption, "### Targets", C.targets_table([goal])])


def summary(results):
    """Per row count: both estimators' time per epoch, skreg's time per
    row against the smallest size's, and skreg's memory beyond X."""
    by = {(r["estimator"], r["rows"]): r for r in results}
    sizes = sorted({r["rows"] for r in results})
    base = by[("skreg", sizes[0])]["ms_per_epoch"] / sizes[0]
    rows = []
    for n in sizes:
        skreg, sklearn = by[("skreg", n)], by[("sklearn", n)]
        rows.append(
            dict(
                rows=n,
                skreg_ms=skreg["ms_per_epoch"],
                sklearn_ms=sklearn["ms_per_epoch"],
                speedup=sklearn["ms_per_epoch"] / skreg["ms_per_epoch"],
                per_row_vs_smallest=skreg["ms_per_epoch"] / n / base,
                skreg_mib=skreg["fit_peak_mib"],
                sklearn_mib=sklearn["fit_peak_mib"],
                x_mib=skreg["x_mib"],
            )
        )
    return rows


def targets(rows):
    worst = max(abs(r["per_row_vs_smallest"] - 1) for r in rows)
    growth = (rows[-1]["skreg_mib"] - rows[0]["skreg_mib"]) * 2**20
    per_row = growth / (rows[-1]["rows"] - rows[0]["rows"])
    return [
        C.target("time per row, largest deviation from 10^4 rows'", worst, TIME_TOLERANCE, True),
        C.target("fit memory beyond X: growth in bytes per row", per_row, 0.0, True),
    ]


def render(payload):
    rows = summary(payload["results"])
    table = C.markdown_table(
        [
            "rows",
            "skreg ms/epoch",
            "sklearn ms/epoch",
            "sklearn / skreg",
            "skreg time per row / at 10^4",
            "skreg fit MiB beyond X",
            "sklearn fit MiB beyond X",
            "X MiB",
        ],
        [
            [
                f"{r['rows']:,}",
                C.fmt(r["skreg_ms"]),
                C.fmt(r["sklearn_ms"]),
                C.fmt(r["speedup"]),
                C.fmt(r["per_row_vs_smallest"]),
                C.fmt(r["skreg_mib"]),
                C.fmt(r["sklearn_mib"]),
                C.fmt(r["x_mib"]),
            ]
            for r in rows
        ],
    )
    cfg = payload["config"]
    title = (
        f"### Scaling in rows ({N_FEATURES} float64 features, hidden {HIDDEN}, batch {BATCH}; "
        f"median of {cfg['repeats']} pairs of fits: 1 epoch, and 1 + max(2, "
        f"{cfg['extra_rows']:,} / rows) epochs)"
    )
    machine = payload["machine"]
    caption = C.machine_caption(machine, machine.get("load_average_at_end"))
    return "\n\n".join([title, table, caption, "### Targets", C.targets_table(targets(rows))])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="two small sizes, one repeat")
    parser.add_argument("--report-only", action="store_true", help="rebuild the table")
    parser.add_argument("--csr", action="store_true", help="CSR input: columns, not rows")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child_measure(json.loads(args.child))))
        return 0
    name = "bench_scaling_csr" if args.csr else "bench_scaling_rows"
    json_path = C.results_path(name, args.quick, ".json")
    if args.report_only:
        payload = json.loads(json_path.read_text())
    elif args.csr:
        cfg = CSR_QUICK if args.quick else CSR_FULL
        payload = dict(config=cfg, machine=C.machine_info(), results=measure_csr(cfg))
    else:
        cfg = QUICK if args.quick else FULL
        payload = dict(config=cfg, machine=C.machine_info(), results=measure(cfg))
    publish_render = render_csr if args.csr else render
    return C.publish(name, args.quick, payload, publish_render(payload))


if __name__ == "__main__":
    sys.exit(main())
