"""predict_proba throughput and peak memory of fit and predict_proba: skreg
against scikit-learn's MLPClassifier on the same data.

Throughput: both models are fitted briefly (the weights do not change the
cost), then ``predict_proba`` on 200 000 rows is timed; median of repeats.

Peak memory: every (estimator, dtype, phase) runs in a fresh subprocess
that imports everything, loads the data from .npy files, warms up (a tiny fit
and predict, so Numba's kernels and OpenBLAS's buffers are loaded), resets
the kernel's peak-RSS mark (``/proc/self/clear_refs``), and reports the peak
RSS during the measured call minus the RSS just before it.  Where the mark
cannot be reset it falls back to ``ru_maxrss`` minus a baseline.  The same
is repeated with ``tracemalloc`` as a cross-check: the script first checks
that tracemalloc sees arrays allocated inside Numba-compiled code (Numba's
runtime allocates through ``PyMem_RawMalloc``); it does not see BLAS's own
buffers, for either estimator.

Usage::

    python benchmarks/bench_predict.py            # full run, a few minutes
    python benchmarks/bench_predict.py --quick    # smoke test
"""

import argparse
import gc
import json
import pickle
import resource
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path

import numpy as np

import _common as C

ESTIMATORS = ("skreg", "sklearn")
DTYPES = ("float64", "float32")
FULL = dict(
    n_rows=200_000,
    n_features=50,
    hidden=(256,),
    batch_size=200,
    throughput_fit_rows=20_000,
    fit_epochs=2,
    repeats=7,
    memory_repeats=3,
    memory_dtypes=DTYPES,
)
# Quick: the memory part runs only float64 and only the RSS method (4 processes).
QUICK = dict(
    n_rows=20_000,
    n_features=20,
    hidden=(32,),
    batch_size=200,
    throughput_fit_rows=2_000,
    fit_epochs=1,
    repeats=1,
    memory_repeats=1,
    memory_dtypes=("float64",),
)


# --------------------------------------------------------------------------
# Memory probes (used inside the child processes)
# --------------------------------------------------------------------------


def _status_kib(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def reset_peak_rss():
    """Reset the peak-RSS mark; True when the kernel allowed it."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return _status_kib("VmHWM") <= _status_kib("VmRSS") + 1024
    except OSError:
        return False


def peak_rss_delta_mib(func):
    """Peak RSS during ``func()`` minus the RSS before it, in MiB."""
    gc.collect()
    if reset_peak_rss():
        before, method = _status_kib("VmRSS"), "VmHWM after clear_refs, minus VmRSS before"
        func()
        after = _status_kib("VmHWM")
    else:
        before, method = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "ru_maxrss delta"
        func()
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return (after - before) / 1024, method


def traced_peak_mib(func):
    """tracemalloc's peak during ``func()``, in MiB."""
    gc.collect()
    tracemalloc.start()
    func()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20, "tracemalloc peak"


def tracemalloc_sees_numba(n_mib=16):
    """Whether tracemalloc counts an array allocated (and freed) inside an
    njit function; returns (bool, traced MiB)."""
    from numba import njit

    @njit
    def allocate(n):
        return np.ones(n).sum()

    allocate(8)
    peak, _ = traced_peak_mib(lambda: allocate(n_mib * 2**20 // 8))
    return bool(peak >= 0.9 * n_mib), peak


# --------------------------------------------------------------------------
# Child process: one measurement
# --------------------------------------------------------------------------


def child_measure(spec):
    """Run one (estimator, dtype, phase, method) measurement; return a dict."""
    from sklearn.neural_network import MLPClassifier  # noqa: F401

    import skreg  # noqa: F401  (imported for every estimator: same baseline)

    C.silence_convergence_warnings()
    work = Path(spec["workdir"])
    X = np.load(work / f"X_{spec['dtype']}.npy")
    y = np.load(work / "y.npy")
    hidden, batch = tuple(spec["hidden"]), spec["batch_size"]
    if spec["phase"] == "fit":
        C.make_estimator(spec["estimator"], hidden, batch, 1).fit(X[:256], y[:256])
        est = C.make_estimator(spec["estimator"], hidden, batch, spec["fit_epochs"])
        call = lambda: est.fit(X, y)  # noqa: E731
    else:
        with open(work / f"model_{spec['estimator']}_{spec['dtype']}.pkl", "rb") as f:
            est = pickle.load(f)
        est.predict_proba(X[:16])
        call = lambda: est.predict_proba(X)  # noqa: E731
    probe = traced_peak_mib if spec["method"] == "tracemalloc" else peak_rss_delta_mib
    mib, how = probe(call)
    return {**spec, "peak_mib": mib, "how": how, "skreg_source_sha256": C.skreg_source_hash()}


def run_child(spec):
    out = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------
# Parent: data, models, throughput, memory table
# --------------------------------------------------------------------------


def prepare(workdir, cfg):
    """Save the data and briefly fitted models; return {dtype: (X, models)}."""
    prepared = {}
    for dtype in DTYPES:
        X, y = C.classification_data(cfg["n_rows"], cfg["n_features"], dtype)
        np.save(workdir / f"X_{dtype}.npy", X)
        np.save(workdir / "y.npy", y)
        n_fit = cfg["throughput_fit_rows"]
        models = {}
        for name in ESTIMATORS:
            est = C.make_estimator(name, cfg["hidden"], cfg["batch_size"], 2)
            est.fit(X[:n_fit], y[:n_fit])
            models[name] = est
            with open(workdir / f"model_{name}_{dtype}.pkl", "wb") as f:
                pickle.dump(est, f)
        prepared[dtype] = (X, models)
    return prepared


def throughput(prepared, repeats, gate):
    """Median seconds and rows/s of predict_proba, per dtype and estimator;
    each call waits for idle CPUs first."""
    out = {}
    for dtype, (X, models) in prepared.items():
        for name, est in models.items():
            est.predict_proba(X[:1000])
            times = []
            for _ in range(repeats):
                gate.wait()
                times.append(C.timed(est.predict_proba, X))
            seconds = C.median(times)
            out[f"{name}/{dtype}"] = {
                "seconds": seconds,
                "rows_per_second": X.shape[0] / seconds,
                "all_seconds": times,
            }
    return out


def memory(workdir, cfg, methods):
    """Median peak MiB per (method, phase, dtype, estimator), from fresh processes."""
    out = {}
    for method in methods:
        for phase in ("fit", "predict_proba"):
            for dtype in cfg["memory_dtypes"]:
                for name in ESTIMATORS:
                    spec = {
                        "workdir": str(workdir),
                        "estimator": name,
                        "dtype": dtype,
                        "phase": "fit" if phase == "fit" else "predict",
                        "method": method,
                        "hidden": list(cfg["hidden"]),
                        "batch_size": cfg["batch_size"],
                        "fit_epochs": cfg["fit_epochs"],
                    }
                    runs = [run_child(spec) for _ in range(cfg["memory_repeats"])]
                    out[f"{method}/{phase}/{dtype}/{name}"] = {
                        "peak_mib": C.median([r["peak_mib"] for r in runs]),
                        "all_mib": [r["peak_mib"] for r in runs],
                        "how": runs[0]["how"],
                        "skreg_source_sha256": sorted({r["skreg_source_sha256"] for r in runs}),
                    }
    return out


def throughput_table(tp, n_rows):
    rows = []
    for dtype in DTYPES:
        sk, ours = tp[f"sklearn/{dtype}"], tp[f"skreg/{dtype}"]
        rows.append(
            [
                dtype,
                C.fmt(1e3 * ours["seconds"]),
                C.fmt(1e3 * sk["seconds"]),
                f"{ours['rows_per_second'] / 1e6:.3g}",
                f"{sk['rows_per_second'] / 1e6:.3g}",
                C.fmt(sk["seconds"] / ours["seconds"]),
            ]
        )
    headers = [
        "dtype",
        f"skreg ms ({n_rows} rows)",
        "sklearn ms",
        "skreg Mrows/s",
        "sklearn Mrows/s",
        "skreg / sklearn throughput",
    ]
    return C.markdown_table(headers, rows)


def memory_table(mem, methods, dtypes):
    rows = []
    for method in methods:
        for phase in ("fit", "predict_proba"):
            for dtype in dtypes:
                ours = mem[f"{method}/{phase}/{dtype}/skreg"]["peak_mib"]
                sk = mem[f"{method}/{phase}/{dtype}/sklearn"]["peak_mib"]
                rows.append(
                    [
                        method,
                        phase,
                        dtype,
                        f"{ours:.1f}",
                        f"{sk:.1f}",
                        C.fmt(ours / sk if sk > 0 else None),
                    ]
                )
    headers = ["method", "phase", "dtype", "skreg peak MiB", "sklearn peak MiB", "skreg / sklearn"]
    return C.markdown_table(headers, rows)


def targets(tp, mem, memory_dtypes):
    out = []
    for dtype in DTYPES:
        ratio = tp[f"skreg/{dtype}"]["rows_per_second"] / tp[f"sklearn/{dtype}"]["rows_per_second"]
        out.append(
            {
                "target": f"predict_proba {dtype}: x sklearn throughput",
                "value": ratio,
                "threshold": ">= 2",
                "met": ratio >= 2,
            }
        )
    for phase in ("fit", "predict_proba"):
        for dtype in memory_dtypes:
            ours = mem[f"rss/{phase}/{dtype}/skreg"]["peak_mib"]
            sk = mem[f"rss/{phase}/{dtype}/sklearn"]["peak_mib"]
            out.append(
                {
                    "target": f"peak memory of {phase} {dtype} (RSS): skreg MiB / sklearn MiB",
                    "value": f"{ours:.1f} / {sk:.1f}",
                    "threshold": "<= 1",
                    "met": ours <= sk,
                }
            )
    return out


def targets_table(items):
    rows = [
        [
            t["target"],
            t["threshold"],
            t["value"] if isinstance(t["value"], str) else C.fmt(t["value"]),
            "met" if t["met"] else "MISSED",
        ]
        for t in items
    ]
    return C.markdown_table(["target", "needs", "measured", "status"], rows)


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def parse_args(argv=None):
    parser = C.bench_parser(
        __doc__, "small data, one repeat, memory in float64 by RSS only", idle_budget=120.0
    )
    parser.add_argument("--repeats", type=int, default=None, help="throughput repeats")
    parser.add_argument(
        "--no-tracemalloc",
        action="store_true",
        help="skip the tracemalloc cross-check of the memory numbers",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        print(json.dumps(child_measure(json.loads(args.child))))
        return 0
    C.silence_convergence_warnings()
    cfg = dict(QUICK if args.quick else FULL)
    if args.repeats:
        cfg["repeats"] = args.repeats
    info = C.machine_info()
    sees, traced = tracemalloc_sees_numba()
    methods = ["rss"] if args.no_tracemalloc or args.quick else ["rss", "tracemalloc"]
    with tempfile.TemporaryDirectory(prefix="skreg_bench_predict_") as tmp:
        workdir = Path(tmp)
        prepared = prepare(workdir, cfg)
        gate = C.idle_gate(args)
        tp = throughput(prepared, cfg["repeats"], gate)
        del prepared
        mem = memory(workdir, cfg, methods)
    goals = targets(tp, mem, cfg["memory_dtypes"])
    how = next(v["how"] for k, v in mem.items() if k.startswith("rss/"))
    markdown = "\n\n".join(
        [
            f"### predict_proba throughput ({cfg['n_rows']} x {cfg['n_features']}, hidden "
            f"{cfg['hidden']}, median of {cfg['repeats']})",
            throughput_table(tp, cfg["n_rows"]),
            f"### Peak memory (fit: {cfg['fit_epochs']} epochs on the {cfg['n_rows']} rows, batch "
            f"{cfg['batch_size']}; predict_proba on them; fresh process each, median of "
            f"{cfg['memory_repeats']})",
            memory_table(mem, methods, cfg["memory_dtypes"]),
            f"RSS method: {how}. tracemalloc sees arrays allocated inside Numba code: "
            f"{'yes' if sees else 'NO'} ({traced:.1f} MiB traced for a 16 MiB array); it never "
            "sees OpenBLAS's own buffers.",
            "### Targets",
            targets_table(goals),
            C.gate_caption(gate),
            C.machine_caption(info),
        ]
    )
    payload = {
        "benchmark": "bench_predict",
        "quick": args.quick,
        "machine": info,
        "idle_gate": gate.report(),
        "settings": {**cfg, "methods": methods},
        "tracemalloc_sees_numba": {"sees": sees, "traced_mib_for_16_mib": traced},
        "throughput": tp,
        "memory": mem,
        "targets": goals,
    }
    return C.publish("bench_predict", args.quick, payload, markdown)


if __name__ == "__main__":
    sys.exit(main())
