"""predict_proba throughput and peak memory of fit and predict_proba: skreg
against scikit-learn's MLPClassifier on the same data.

Peak memory: each (estimator, dtype, phase) in a fresh process, peak RSS of
the call minus the RSS before it; ``tracemalloc`` cross-checks (it sees
Numba's arrays, never BLAS's own buffers).

Usage: python benchmarks/bench_predict.py [--quick] [--report-only]
"""

import argparse
import functools
import gc
import itertools
import json
import pickle
import resource
import statistics
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path

import _harness as H
import numpy as np

import _common as C

ESTIMATORS = ("skreg", "sklearn")
DTYPES = ("float64", "float32")
FULL = dict(n_rows=200_000, n_features=50, hidden=(256,), batch_size=200)
FULL.update(throughput_fit_rows=20_000, fit_epochs=2, memory_repeats=3, memory_dtypes=DTYPES)
# Quick: the memory part runs only float64 and only the RSS method (4 processes).
QUICK = dict(FULL, n_rows=20_000, n_features=20, hidden=(32,), throughput_fit_rows=2_000)
QUICK.update(fit_epochs=1, memory_repeats=1, memory_dtypes=("float64",))


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
    gc.collect()
    tracemalloc.start()
    func()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20, "tracemalloc peak"


def tracemalloc_sees_numba(n_mib=16):
    """Whether tracemalloc counts an array allocated inside an njit function, and its MiB."""
    from numba import njit

    @njit
    def allocate(n):
        return np.ones(n).sum()

    allocate(8)
    peak, _ = traced_peak_mib(lambda: allocate(n_mib * 2**20 // 8))
    return bool(peak >= 0.9 * n_mib), peak


def child_measure(spec):
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
    command = [sys.executable, __file__, "--child", json.dumps(spec)]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@functools.cache
def fitted(name, dtype, quick):
    """The data and a briefly fitted model (the weights do not change the cost)."""
    cfg = QUICK if quick else FULL
    X, y = C.classification_data(cfg["n_rows"], cfg["n_features"], dtype)
    est = C.make_estimator(name, cfg["hidden"], cfg["batch_size"], 2)
    n_fit = cfg["throughput_fit_rows"]
    return X, y, est.fit(X[:n_fit], y[:n_fit])


def save(workdir, quick):
    for dtype in DTYPES:
        for name in ESTIMATORS:
            X, y, est = fitted(name, dtype, quick)
            with open(workdir / f"model_{name}_{dtype}.pkl", "wb") as f:
                pickle.dump(est, f)
        np.save(workdir / f"X_{dtype}.npy", X)
        np.save(workdir / "y.npy", y)


def bench_throughput(runner, name, dtype, quick):
    def make_call():
        X, _, est = fitted(name, dtype, quick)
        return functools.partial(est.predict_proba, X)

    return runner.bench_time_func(f"predict_proba {name} {dtype}", H.calls_time_func(make_call))


def throughput(benches, n_rows):
    out = {}
    for key, bench in benches.items():
        seconds = bench.median()
        out[key] = {"seconds": seconds, "rows_per_second": n_rows / seconds, **H.stats(bench)}
    return out


def memory(workdir, cfg, methods):
    out = {}
    phases, dtypes = ("fit", "predict_proba"), cfg["memory_dtypes"]
    for method, phase, dtype, name in itertools.product(methods, phases, dtypes, ESTIMATORS):
        spec = dict(workdir=str(workdir), estimator=name, dtype=dtype, method=method)
        spec.update(phase="fit" if phase == "fit" else "predict")
        spec.update(hidden=list(cfg["hidden"]), batch_size=cfg["batch_size"])
        spec.update(fit_epochs=cfg["fit_epochs"])
        runs = [run_child(spec) for _ in range(cfg["memory_repeats"])]
        mib = [r["peak_mib"] for r in runs]
        hashes = sorted({r["skreg_source_sha256"] for r in runs})
        entry = {"peak_mib": statistics.median(mib), "all_mib": mib}
        entry.update(how=runs[0]["how"], skreg_source_sha256=hashes)
        out[f"{method}/{phase}/{dtype}/{name}"] = entry
    return out


def throughput_table(tp, n_rows):
    rows = []
    for dtype in DTYPES:
        sk, ours = tp[f"sklearn/{dtype}"], tp[f"skreg/{dtype}"]
        cells = [C.fmt(1e3 * ours["seconds"]), C.fmt(1e3 * sk["seconds"])]
        cells += [f"{ours['rows_per_second'] / 1e6:.3g}", f"{sk['rows_per_second'] / 1e6:.3g}"]
        rows.append([dtype, *cells, C.fmt(sk["seconds"] / ours["seconds"])])
    headers = ["dtype", f"skreg ms ({n_rows} rows)", "sklearn ms", "skreg Mrows/s"]
    headers += ["sklearn Mrows/s", "skreg / sklearn throughput"]
    return C.markdown_table(headers, rows)


def memory_table(mem, methods, dtypes):
    rows = []
    for method, phase, dtype in itertools.product(methods, ("fit", "predict_proba"), dtypes):
        ours = mem[f"{method}/{phase}/{dtype}/skreg"]["peak_mib"]
        sk = mem[f"{method}/{phase}/{dtype}/sklearn"]["peak_mib"]
        ratio = C.fmt(ours / sk if sk > 0 else None)
        rows.append([method, phase, dtype, f"{ours:.1f}", f"{sk:.1f}", ratio])
    headers = ["method", "phase", "dtype", "skreg peak MiB", "sklearn peak MiB", "skreg / sklearn"]
    return C.markdown_table(headers, rows)


def targets(tp, mem, memory_dtypes):
    out = []
    for dtype in DTYPES:
        ratio = tp[f"skreg/{dtype}"]["rows_per_second"] / tp[f"sklearn/{dtype}"]["rows_per_second"]
        out.append(C.target(f"predict_proba {dtype}: x sklearn throughput", ratio, 2))
    for phase in ("fit", "predict_proba"):
        for dtype in memory_dtypes:
            ours = mem[f"rss/{phase}/{dtype}/skreg"]["peak_mib"]
            sk = mem[f"rss/{phase}/{dtype}/sklearn"]["peak_mib"]
            name = f"peak memory of {phase} {dtype} (RSS): skreg MiB / sklearn MiB"
            out.append({**C.target(name, f"{ours:.1f} / {sk:.1f}", "<= 1"), "met": ours <= sk})
    return out


def render(p):
    cfg, mem = p["settings"], p["memory"]
    how = next(v["how"] for k, v in mem.items() if k.startswith("rss/"))
    sees, traced = p["tracemalloc_sees_numba"].values()
    repeats = cfg.get("repeats") or f"pyperf values, {cfg['processes']} processes"
    return "\n\n".join(
        [
            f"### predict_proba throughput ({cfg['n_rows']} x {cfg['n_features']}, hidden "
            f"{tuple(cfg['hidden'])}, median of {repeats})",
            throughput_table(p["throughput"], cfg["n_rows"]),
            f"### Peak memory (fit: {cfg['fit_epochs']} epochs on the {cfg['n_rows']} rows, batch "
            f"{cfg['batch_size']}; predict_proba on them; fresh process each, median of "
            f"{cfg['memory_repeats']})",
            memory_table(mem, cfg["methods"], cfg["memory_dtypes"]),
            f"RSS method: {how}. tracemalloc sees arrays allocated inside Numba code: "
            f"{'yes' if sees else 'NO'} ({traced:.1f} MiB traced for a 16 MiB array); it never "
            "sees OpenBLAS's own buffers.",
            "### Targets",
            C.targets_table(targets(p["throughput"], mem, cfg["memory_dtypes"])),
        ]
    )


def add_options(parser):
    parser.add_argument("--child", help=argparse.SUPPRESS)


def main():
    quick = "small data, one process, memory in float64 by RSS only"
    runner, args = H.runner(__doc__, quick, add_options, processes=4, values=3)
    if args.child:
        print(json.dumps(child_measure(json.loads(args.child))))
        return 0
    if args.report_only:
        return H.report("bench_predict", render)
    C.silence_convergence_warnings()
    cfg = dict(QUICK if args.quick else FULL)
    benches = {
        f"{name}/{dtype}": bench_throughput(runner, name, dtype, args.quick)
        for dtype in DTYPES
        for name in ESTIMATORS
    }
    if H.is_worker(runner):
        return 0
    sees, traced = tracemalloc_sees_numba()
    methods = ["rss"] if args.quick else ["rss", "tracemalloc"]
    with tempfile.TemporaryDirectory(prefix="skreg_bench_predict_") as tmp:
        save(Path(tmp), args.quick)
        mem = memory(Path(tmp), cfg, methods)
    cfg.update(methods=methods, processes=args.processes, values=args.values)
    payload = {
        "settings": cfg,
        "tracemalloc_sees_numba": dict(sees=sees, traced_mib_for_16_mib=traced),
    }
    payload.update(throughput=throughput(benches, cfg["n_rows"]), memory=mem)
    return H.publish("bench_predict", args, payload, render(payload), benches.values())


if __name__ == "__main__":
    sys.exit(main())
