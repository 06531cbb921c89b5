"""Start-up cost of skreg in a fresh process: ``import skreg`` plus a first
small fit and predict_proba with a warm Numba cache, and the compile time
(cold median minus warm median) of each phase with a cold cache.

Each run is a fresh ``python`` on a frozen copy of skreg; cold runs get an
empty ``NUMBA_CACHE_DIR``, warm runs reuse the first cold run's.  The most
common first job, ``RegularizedMLPClassifierCV(penalty="l1")`` on the same
small data, runs in processes and caches of its own, so that nothing else
compiled for it.

Usage: python benchmarks/bench_startup.py [--quick] [--report-only]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _harness as H
import pyperf

import _common as C

# Imports are timed in this order, so each line is the cost of what the
# previous ones did not already load.
IMPORT_PHASES = ("import sklearn.neural_network", "import numba", "import skreg")
SMALL = dict(n_samples=500, n_features=20, hidden=(16,), epochs=5)
# After the default fits: every other solver and input format, in both
# dtypes, so that the process has compiled every kernel a fit can use.
OTHER_FITS = [
    (dtype, solver, sparse, {})
    for dtype in ("float64", "float32")
    for solver in ("adam", "sgd", "lbfgs")
    for sparse in (False, True)
    if (solver, sparse) != ("adam", False)
]
OTHER_PHASE = "every other kernel (sgd, lbfgs, sparse; both dtypes)"
# Then the regularizers beyond L2: a fit with dropout (the epoch variant with
# the other terms) and one whose L1 term removes inputs and hidden units (the
# active set's kernels), in both dtypes.
REGULARIZER_FITS = [
    dict(penalty="l1", alpha=1e-3, group_alpha=1e-3, dropout=0.1),
    dict(penalty="l1", alpha=0.05, max_iter=30),
]
REGULARIZER_PHASE = "L1, group and dropout epochs, active set (both dtypes)"
# The most common first job, in a process and a cache of its own: a CV fit
# with penalty="l1" (its grid, its L1 epochs, its scores) on the small data.
FIRST_JOB_PHASE = "first job alone: RegularizedMLPClassifierCV(penalty='l1') fit"
FIRST_JOB_LIMIT = 10.0  # s of compile for it
DEFAULT_LIMIT = 8.0  # s of compile for a default float64 fit and predict
ALL_LIMIT = 20.0  # s of compile for every kernel
WARM_LIMIT = 1.0  # s for import skreg + a first small fit, warm cache


def child(dtypes):
    if dtypes == ["first-job"]:
        return first_job()
    times = {}
    for statement in IMPORT_PHASES:
        times[statement] = H.timed(exec, statement, {})
    times["import total"] = sum(times[statement] for statement in IMPORT_PHASES)
    C.silence_convergence_warnings()
    X, y = small_data()
    for dtype in dtypes:
        est = small_fit()
        times[f"first fit {dtype}"] = H.timed(est.fit, X.astype(dtype), y)
        times[f"first predict_proba {dtype}"] = H.timed(est.predict_proba, X.astype(dtype))
    if len(dtypes) == 2:
        times[OTHER_PHASE] = H.timed(fit_all, X, y, OTHER_FITS)
        fits = [(dtype, "adam", False, p) for dtype in dtypes for p in REGULARIZER_FITS]
        times[REGULARIZER_PHASE] = H.timed(fit_all, X, y, fits)
    return times


def small_data():
    """The small fits' data: SMALL's shape, two classes."""
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.standard_normal((SMALL["n_samples"], SMALL["n_features"]))
    return X, (X[:, 0] + X[:, 1] > 0).astype(int)


def first_job():
    """The time of a CV fit with ``penalty="l1"``, the process's only fit."""
    from skreg import RegularizedMLPClassifierCV

    C.silence_convergence_warnings()
    X, y = small_data()
    est = RegularizedMLPClassifierCV(SMALL["hidden"], penalty="l1", random_state=0, n_jobs=1)
    return {FIRST_JOB_PHASE: H.timed(est.fit, X, y)}


def small_fit(**params):
    from skreg import RegularizedMLPClassifier

    settings = {"max_iter": SMALL["epochs"], "random_state": 0, "tol": 0.0, **params}
    return RegularizedMLPClassifier(SMALL["hidden"], **settings)


def fit_all(X, y, fits):
    import numpy as np
    import scipy.sparse as sp

    for dtype, solver, sparse, params in fits:
        Xd = X.astype(dtype)
        if sparse:
            Xd = sp.csr_matrix(np.where(np.abs(Xd) > 1, Xd, 0))
        small_fit(solver=solver, **params).fit(Xd, y).predict_proba(Xd)


def run_process(base_env, cache_dir, dtypes):
    """One fresh interpreter; its phase times plus its whole wall time."""
    os.makedirs(cache_dir, exist_ok=True)
    env = dict(base_env, NUMBA_CACHE_DIR=str(cache_dir))
    start = time.perf_counter()
    command = [sys.executable, __file__, "--child", ",".join(dtypes)]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "process wall time": wall}


def frozen_skreg(directory):
    """An environment importing a copy of skreg in ``directory`` (edits to skreg/
    during a run cannot invalidate the cache or mix code versions)."""
    import skreg

    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.nbi", "*.nbc")
    shutil.copytree(Path(skreg.__file__).parent, Path(directory) / "skreg", ignore=ignore)
    path = [str(directory), str(C.BENCH_DIR)] + [p for p in [os.environ.get("PYTHONPATH")] if p]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(path))


def measure(args, dtypes, root):
    env = frozen_skreg(root)
    caches = [os.path.join(root, f"cold{i}") for i in range(args.cold_repeats)]
    cold = [run_process(env, cache, dtypes) for cache in caches]
    warm = [run_process(env, caches[0], dtypes) for _ in range(args.warm_repeats)]
    # The first job gets caches of its own, so that nothing above compiled for it.
    job_caches = [os.path.join(root, f"first_job{i}") for i in range(args.cold_repeats)]
    for run, cache in zip(cold, job_caches):
        run[FIRST_JOB_PHASE] = run_process(env, cache, ["first-job"])[FIRST_JOB_PHASE]
    for run in warm:
        run[FIRST_JOB_PHASE] = run_process(env, job_caches[0], ["first-job"])[FIRST_JOB_PHASE]
    return cold, warm, C.skreg_source_hash(os.path.join(root, "skreg"))


def benchmarks(cold, warm):
    meta = pyperf.Run([1.0], metadata={"name": "-"}).get_metadata()
    out = {}
    for state, runs in (("cold", cold), ("warm", warm)):
        for phase in runs[0]:
            name = {**meta, "name": f"{phase}, {state} cache", "unit": "second"}
            values = [pyperf.Run([r[phase]], metadata=name, collect_metadata=False) for r in runs]
            out[state, phase] = pyperf.Benchmark(values)
    return out


def phase_table(cold_m, warm_m):
    rows = []
    for phase in warm_m:
        compiles = is_compile_phase(phase) or phase in (REGULARIZER_PHASE, FIRST_JOB_PHASE)
        compile_s = cold_m[phase] - warm_m[phase] if compiles else None
        compile_s = "-" if compile_s is None else f"{compile_s:.2f}"
        rows.append([phase, f"{warm_m[phase]:.3f}", f"{cold_m[phase]:.3f}", compile_s])
    headers = ["phase", "warm cache s", "cold cache s", "compile s (cold - warm)"]
    return C.markdown_table(headers, rows)


def is_compile_phase(phase):
    # REGULARIZER_PHASE and FIRST_JOB_PHASE (another process) are reported apart
    return (phase.startswith("first ") and phase != FIRST_JOB_PHASE) or phase == OTHER_PHASE


def targets(cold_m, warm_m):
    def compile_time(phases):
        return sum(cold_m[p] - warm_m[p] for p in phases)

    def target(name, value, limit=None):
        needs = "(information)" if limit is None else f"<= {limit:g} s"
        return {**C.target(name, value, needs), "met": limit is None or value <= limit}

    everything = compile_time([p for p in warm_m if is_compile_phase(p)])
    warm = warm_m["import total"] + warm_m["first fit float64"]
    out = [target("warm cache: import skreg + first small fit (float64)", warm, WARM_LIMIT)]
    default = compile_time(["first fit float64", "first predict_proba float64"])
    name = "cold cache: compile of a default fit and predict (float64, adam)"
    out.append(target(name, default, DEFAULT_LIMIT))
    name = "cold cache: compile of every kernel (both dtypes, every solver, sparse)"
    if OTHER_PHASE not in warm_m:
        name = "cold cache: compile of the phases run (not every kernel: --quick)"
    out.append(target(name, everything, ALL_LIMIT))
    if REGULARIZER_PHASE in warm_m:
        name = (
            "cold cache: the above and the regularizers' kernels (L1, group, dropout, active set)"
        )
        out.append(target(name, everything + compile_time([REGULARIZER_PHASE])))
    if FIRST_JOB_PHASE in warm_m:
        name = "cold cache: compile of a first CV fit with penalty='l1', alone in its process"
        value = cold_m[FIRST_JOB_PHASE] - warm_m[FIRST_JOB_PHASE]
        out.append(target(name, value, FIRST_JOB_LIMIT))
    name = "cold cache: whole process (interpreter, imports, compile, fits)"
    return out + [target(name, cold_m["process wall time"])]


def render(p):
    cold_m, warm_m = p["cold_median"], p["warm_median"]
    return "\n\n".join(
        [
            f"### Start-up in a fresh process (median of {len(p['warm_runs'])} warm and "
            f"{len(p['cold_runs'])} cold runs; small fit: {SMALL['n_samples']} x "
            f"{SMALL['n_features']}, hidden {SMALL['hidden']}, {SMALL['epochs']} epochs)",
            phase_table(cold_m, warm_m),
            "### Targets",
            C.targets_table(
                [{**t, "value": f"{t['value']:.2f} s"} for t in targets(cold_m, warm_m)]
            ),
        ]
    )


def add_options(parser):
    parser.add_argument("--child", help=argparse.SUPPRESS)


def main():
    _, args = H.runner(__doc__, "one cold run (float64 only) and one warm run", add_options)
    if args.child:
        print(json.dumps(child(args.child.split(","))))
        return 0
    if args.report_only:
        return H.report("bench_startup", render)
    args.cold_repeats, args.warm_repeats = (1, 1) if args.quick else (3, 5)
    dtypes = ["float64"] if args.quick else ["float64", "float32"]
    with tempfile.TemporaryDirectory(prefix="skreg_numba_cache_") as root:
        cold, warm, measured_hash = measure(args, dtypes, root)
    benches = benchmarks(cold, warm)
    medians = {
        s: {ph: b.median() for (st, ph), b in benches.items() if st == s} for s in ("cold", "warm")
    }
    settings = dict(cold_repeats=args.cold_repeats, warm_repeats=args.warm_repeats)
    payload = {"settings": {**settings, "small_fit": SMALL, "dtypes": dtypes}}
    payload.update(measured_skreg_source_sha256=measured_hash, cold_runs=cold, warm_runs=warm)
    payload.update(cold_median=medians["cold"], warm_median=medians["warm"])
    return H.publish("bench_startup", args, payload, render(payload), benches.values())


if __name__ == "__main__":
    sys.exit(main())
