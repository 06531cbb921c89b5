"""Start-up cost of skreg in a fresh process: ``import skreg`` plus the first
small fit and predict_proba, with a warm Numba cache, and the one-off
compile time with a cold cache.

Each run is a fresh ``python`` process importing a frozen copy of skreg
(so that edits to skreg/ during the run cannot invalidate the cache between
the cold and the warm runs).  Cold runs get ``NUMBA_CACHE_DIR``
set to a new empty directory, so every kernel is compiled; warm runs reuse
the directory the first cold run filled.  The compile time of a phase is its
cold median minus its warm median.  The import time is split into
scikit-learn (with numpy and scipy), numba, and skreg's own modules.

Usage::

    python benchmarks/bench_startup.py            # 3 cold and 5 warm processes
    python benchmarks/bench_startup.py --quick    # 1 cold (float64 only) and 1 warm
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import _common as C

# Imports are timed in this order, so each line is the cost of what the
# previous ones did not already load.
IMPORT_PHASES = (
    ("import sklearn.neural_network", "import sklearn.neural_network"),
    ("import numba", "import numba"),
    ("import skreg", "import skreg"),
)
SMALL = dict(n_samples=500, n_features=20, hidden=(16,), epochs=5)


# --------------------------------------------------------------------------
# Child process
# --------------------------------------------------------------------------


def child(dtypes):
    """Time the phases in this (fresh) process; return {phase: seconds}."""
    times = {}
    for name, statement in IMPORT_PHASES:
        start = time.perf_counter()
        exec(statement, {})
        times[name] = time.perf_counter() - start
    times["import total"] = sum(times[name] for name, _ in IMPORT_PHASES)
    import numpy as np

    from skreg import RegularizedMLPClassifier

    C.silence_convergence_warnings()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((SMALL["n_samples"], SMALL["n_features"]))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    for dtype in dtypes:
        Xd = X.astype(dtype)
        est = RegularizedMLPClassifier(
            SMALL["hidden"], max_iter=SMALL["epochs"], random_state=0, tol=0.0
        )
        times[f"first fit {dtype}"] = C.timed(est.fit, Xd, y)
        times[f"first predict_proba {dtype}"] = C.timed(est.predict_proba, Xd)
    return times


# --------------------------------------------------------------------------
# Parent
# --------------------------------------------------------------------------


def run_process(base_env, cache_dir, dtypes):
    """One fresh interpreter; its phase times plus its whole wall time."""
    env = dict(base_env, NUMBA_CACHE_DIR=str(cache_dir))
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--child", ",".join(dtypes)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - start
    times = json.loads(out.stdout.strip().splitlines()[-1])
    times["process wall time"] = wall
    return times


def medians(runs):
    return {phase: C.median([r[phase] for r in runs]) for phase in runs[0]}


def measure(args, dtypes, root, gate):
    """Cold runs (fresh cache each), then warm runs on the first one's cache;
    each waits for idle CPUs first."""
    env = C.frozen_skreg(root)
    cold = []
    for i in range(args.cold_repeats):
        cache = os.path.join(root, f"cold{i}")
        os.makedirs(cache)
        gate.wait()
        cold.append(run_process(env, cache, dtypes))
        print(f"cold run {i + 1}: {cold[-1]['process wall time']:.2f} s", flush=True)
    warm_cache = os.path.join(root, "cold0")
    warm = []
    for i in range(args.warm_repeats):
        gate.wait()
        warm.append(run_process(env, warm_cache, dtypes))
        print(f"warm run {i + 1}: {warm[-1]['process wall time']:.2f} s", flush=True)
    return cold, warm, C.skreg_source_hash(os.path.join(root, "skreg"))


def phase_table(cold_m, warm_m):
    rows = []
    for phase in warm_m:
        compile_s = cold_m[phase] - warm_m[phase] if phase.startswith("first") else None
        rows.append(
            [
                phase,
                f"{warm_m[phase]:.3f}",
                f"{cold_m[phase]:.3f}",
                "-" if compile_s is None else f"{compile_s:.2f}",
            ]
        )
    return C.markdown_table(
        ["phase", "warm cache s", "cold cache s", "compile s (cold - warm)"], rows
    )


def targets(cold_m, warm_m):
    warm_total = warm_m["import total"] + warm_m["first fit float64"]
    compile_total = sum(cold_m[p] - warm_m[p] for p in warm_m if p.startswith("first"))
    return [
        {
            "target": "warm cache: import skreg + first small fit (float64)",
            "value": warm_total,
            "threshold": "< 2 s",
            "met": warm_total < 2.0,
        },
        {
            "target": "cold cache: one-off compile time (all first calls, cold - warm)",
            "value": compile_total,
            "threshold": "< 30 s",
            "met": compile_total < 30.0,
        },
        {
            "target": "cold cache: whole process (interpreter, imports, compile, fits)",
            "value": cold_m["process wall time"],
            "threshold": "< 30 s (information)",
            "met": cold_m["process wall time"] < 30.0,
        },
    ]


def targets_table(items):
    rows = [
        [t["target"], t["threshold"], f"{t['value']:.2f} s", "met" if t["met"] else "MISSED"]
        for t in items
    ]
    return C.markdown_table(["target", "needs", "measured", "status"], rows)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="one cold run (float64 only) and one warm run"
    )
    parser.add_argument("--cold-repeats", type=int, default=None)
    parser.add_argument("--warm-repeats", type=int, default=None)
    parser.add_argument(
        "--no-idle-wait", action="store_true", help="do not wait for idle CPUs before each process"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.cold_repeats is None:
        args.cold_repeats = 1 if args.quick else 3
    if args.warm_repeats is None:
        args.warm_repeats = 1 if args.quick else 5
    args.cold_repeats = max(args.cold_repeats, 1)
    args.warm_repeats = max(args.warm_repeats, 1)
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child.split(","))))
        return 0
    dtypes = ["float64"] if args.quick else ["float64", "float32"]
    info = C.machine_info()
    gate = C.IdleGate(max_wait=20.0, budget=180.0, enabled=not (args.no_idle_wait or args.quick))
    with tempfile.TemporaryDirectory(prefix="skreg_numba_cache_") as root:
        cold, warm, measured_hash = measure(args, dtypes, root, gate)
    cold_m, warm_m = medians(cold), medians(warm)
    goals = targets(cold_m, warm_m)
    markdown = "\n\n".join(
        [
            f"### Start-up in a fresh process (median of {args.warm_repeats} warm and "
            f"{args.cold_repeats} cold runs; small fit: {SMALL['n_samples']} x "
            f"{SMALL['n_features']}, hidden {SMALL['hidden']}, {SMALL['epochs']} epochs)",
            phase_table(cold_m, warm_m),
            "### Targets",
            targets_table(goals),
            C.gate_caption(gate),
            C.machine_caption(info),
        ]
    )
    payload = {
        "benchmark": "bench_startup",
        "quick": args.quick,
        "machine": info,
        "idle_gate": gate.report(),
        "settings": {**vars(args), "small_fit": SMALL, "dtypes": dtypes},
        "measured_skreg_source_sha256": measured_hash,
        "cold_runs": cold,
        "warm_runs": warm,
        "cold_median": cold_m,
        "warm_median": warm_m,
        "targets": goals,
    }
    paths = C.write_outputs("bench_startup", args.quick, payload, markdown)
    print(markdown)
    print("\nwrote " + ", ".join(str(p) for p in paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
