"""Where skreg's one-off Numba compile time goes: seconds per kernel and signature.

Each run: a fresh process with an empty ``NUMBA_CACHE_DIR``, one scenario (a
small fit and predict).  Numba's compile events give each (function,
signature) its exclusive CPU time; the garbage collector's time is part of it.

Usage: python benchmarks/compile_profile.py f64 f32 sgd lbfgs csr l1 cv_l1 [--repeats 3]
"""

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import defaultdict

# Each scenario: (dtype, solver, sparse input, more parameters) fits, each followed by a predict.
SCENARIOS = {
    "f64": [("float64", "adam", False, {})],
    "f32": [("float32", "adam", False, {})],
    "sgd": [("float64", "sgd", False, {})],
    "lbfgs": [("float64", "lbfgs", False, {})],
    "csr": [("float64", "adam", True, {})],
    # L1 strong enough that the active set leaves inputs and hidden units out
    "l1": [("float64", "adam", False, {"penalty": "l1", "alpha": 0.05, "max_iter": 30})],
    # the start-up benchmark's first job: a CV fit along an L1 path (200 rows)
    "cv_l1": [],
}


def record_compiles():
    """Record Numba's compile events; returns a function giving {label: exclusive CPU s}."""
    from numba.core import event

    per_function = defaultdict(float)
    stack = []  # [label, start, seconds spent in nested compiles]

    class Listener(event.Listener):
        def on_start(self, ev):
            data = ev.data
            label = data["dispatcher"].py_func.__qualname__
            label += "(" + ", ".join(str(a) for a in data["args"]) + ")"
            stack.append([label, time.thread_time(), 0.0])

        def on_end(self, ev):
            label, start, nested = stack.pop()
            duration = time.thread_time() - start
            per_function[label] += duration - nested
            if stack:
                stack[-1][2] += duration

    event.register("numba:compile", Listener())
    return lambda: dict(per_function)


def child(scenario):
    gc_time = {"gc": 0.0, "start": 0.0}  # the collector's CPU time, from its callbacks

    def on_gc(phase, info):
        now = time.thread_time()
        gc_time["gc"] += 0.0 if phase == "start" else now - gc_time["start"]
        gc_time["start"] = now

    gc.callbacks.append(on_gc)
    compiles = record_compiles()
    import numpy as np
    import scipy.sparse as sp

    from skreg import RegularizedMLPClassifier

    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((500, 20))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    start = time.process_time()
    if scenario == "cv_l1":
        from skreg import RegularizedMLPClassifierCV

        cv = RegularizedMLPClassifierCV((100,), penalty="l1", random_state=0, n_jobs=1)
        cv.fit(X[:200], y[:200])
    for dtype, solver, sparse, params in SCENARIOS[scenario]:
        Xd = X.astype(dtype)
        if sparse:
            Xd = sp.csr_matrix(np.where(np.abs(Xd) > 1, Xd, 0))
        settings = {"solver": solver, "max_iter": 3, "random_state": 0, **params}
        RegularizedMLPClassifier((100,), **settings).fit(Xd, y).predict(Xd)
    return {
        "functions": compiles(),
        "fit and predict (cpu)": time.process_time() - start,
        "gc (cpu)": gc_time["gc"],
    }


def run_child(scenario):
    with tempfile.TemporaryDirectory(prefix="skreg_compile_") as cache:
        command = [sys.executable, __file__, "--child", scenario]
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        out = subprocess.run(command, env=env, capture_output=True, text=True)
    if out.returncode:
        sys.exit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(scenario, runs, top):
    """Medians over the runs: totals, then the kernels by compile seconds."""
    names = {name for r in runs for name in r["functions"]}
    rows = sorted(
        ((statistics.median(r["functions"].get(n, 0.0) for r in runs), n) for n in names),
        reverse=True,
    )
    total = sum(seconds for seconds, _ in rows)
    print(f"\n## {scenario}: {len(runs)} cold run(s), medians")
    for key in ("fit and predict (cpu)", "gc (cpu)"):
        print(f"  {key}: {statistics.median(r[key] for r in runs):.2f} s")
    print(f"  compiled signatures: {len(rows)}, {total:.2f} s in all\n")
    print("| function(signature) | compile s |\n|---|---|")
    for seconds, name in rows[:top]:
        print(f"| {name if len(name) < 110 else name[:107] + '...'} | {seconds:.2f} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scenarios", nargs="*", default=["f64"])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--top", type=int, default=40, help="kernels listed per scenario")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child)))
        return 0
    for scenario in args.scenarios:
        report(scenario, [run_child(scenario) for _ in range(args.repeats)], args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
