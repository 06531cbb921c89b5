"""Where skreg's one-off Numba compile time goes, per function and signature.

Each measurement is a fresh ``python`` process with ``NUMBA_CACHE_DIR`` set
to a new empty directory (a cold cache), running one scenario: a small fit
and a predict.  Numba's compile events are recorded, with a few more timed
spans around its LLVM steps, and each compiled (function, signature) gets
its *exclusive* CPU time (callees compiled while typing it are not counted
twice), split into

* ``typing``: Numba's type inference pass;
* ``lower``: Numba IR to LLVM IR (Python side of the lowering pass);
* ``wrap``: the same for the CPython and C-callable wrappers;
* ``parse``: LLVM IR text of a lowered function parsed and verified;
* ``fopt``: LLVM per-function passes run as each LLVM module is added;
* ``link``: linking the callees' modules into the caller's;
* ``mopt``: LLVM module passes over the linked module (callees included);
* ``emit``: machine code for the linked module;
* ``other``: every other compiler pass (bytecode, untyped rewrites, ...);
* ``save``: writing the cache files;
* ``load``: reading them (a warm cache), including Numba's one-off set-up
  of its target context on the first load.

The CPU time of Python's garbage collector is reported too (it is part of
the times above), and ``COMPILE_PROFILE_GC=off`` in a variant's environment
turns the collector off in the measured process.

A second process on the same cache (``--warm``) times the cache loads and
the first small fit of a warm start.

Usage::

    python benchmarks/compile_profile.py f64 f32 sgd lbfgs csr l1 all
    python benchmarks/compile_profile.py f64 --repeats 3 --env NUMBA_OPT=2
    python benchmarks/compile_profile.py f64 --repeats 3 \\
        --variant base=/tmp/copy1 --variant cut=/tmp/copy2 --variant o1=/tmp/copy2:NUMBA_OPT=1
    python benchmarks/compile_profile.py f64 --warm
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

CATEGORIES = (
    "typing",
    "lower",
    "wrap",
    "parse",
    "fopt",
    "link",
    "mopt",
    "emit",
    "other",
    "save",
    "load",
)

# Each scenario: list of (dtype, solver, sparse) fits, each followed by a predict.
SCENARIOS = {
    "f64": [("float64", "adam", False)],
    "f32": [("float32", "adam", False)],
    "sgd": [("float64", "sgd", False)],
    "lbfgs": [("float64", "lbfgs", False)],
    "csr": [("float64", "adam", True)],
    # L1 strong enough that the active set leaves inputs and hidden units out
    "l1": [("float64", "adam", False, {"penalty": "l1", "alpha": 0.05, "max_iter": 30})],
    "trivial": [],
    "all": [
        (dtype, solver, sparse)
        for dtype in ("float64", "float32")
        for solver in ("adam", "sgd", "lbfgs")
        for sparse in (False, True)
    ],
}


# --------------------------------------------------------------------------
# Child: record the events of one scenario
# --------------------------------------------------------------------------


class Recorder:
    """Chronological (start/end, kind, label, time) records of the events."""

    def __init__(self):
        self.records = []

    def listener(self, kind, label_of):
        from numba.core import event

        recorder = self

        class _Listener(event.Listener):
            def on_start(self, ev):
                recorder.records.append(("start", kind, label_of(ev.data), time.thread_time()))

            def on_end(self, ev):
                recorder.records.append(("end", kind, None, time.thread_time()))

        return _Listener()


def compile_label(data):
    dispatcher = data["dispatcher"]
    name = dispatcher.py_func.__qualname__
    return f"{name}{tuple(str(a) for a in data['args'])}"


def pass_label(data):
    return data["name"].split(" [")[0]


def wrap_method(cls, name, kind, label_of):
    """Time ``cls.name`` as a custom event of ``kind``, its data the label
    that ``label_of(*args)`` gives."""
    from numba.core import event

    original = getattr(cls, name)

    def wrapper(*args, **kwargs):
        with event.trigger_event(kind, data=label_of(*args)):
            return original(*args, **kwargs)

    setattr(cls, name, wrapper)


def install_recorder():
    from numba.core import caching, codegen, event, lowering

    recorder = Recorder()
    for kind, label_of in (
        ("numba:compile", compile_label),
        ("numba:run_pass", pass_label),
    ):
        event.register(kind, recorder.listener(kind, label_of))

    def no_label(*args):
        return None

    def cache_label(cache, sig, *rest):
        return f"{cache._py_func.__qualname__}{tuple(str(a) for a in sig)}"

    spans = (
        (lowering.Lower, "create_cpython_wrapper", "wrap", no_label),
        (lowering.Lower, "create_cfunc_wrapper", "wrap", no_label),
        (codegen.CPUCodeLibrary, "add_ir_module", "parse", no_label),
        (codegen.CPUCodeLibrary, "_optimize_functions", "fopt", no_label),
        (codegen.CPUCodeLibrary, "_optimize_final_module", "mopt", no_label),
        (codegen.JITCodeLibrary, "_finalize_specific", "emit", no_label),
        (codegen.CPUCodeLibrary, "add_linking_library", "link", no_label),
        (caching.Cache, "save_overload", "save", cache_label),
        (caching.Cache, "load_overload", "load", cache_label),
    )
    for cls, method, kind, label_of in spans:
        wrap_method(cls, method, kind, label_of)
        event.register(kind, recorder.listener(kind, lambda data: data))
    return recorder


def exclusive_times(records):
    """{compile label: {category: exclusive seconds}} (time outside any
    compile event under "(outside compile)"), and {compiler pass: exclusive
    seconds}."""
    per_function = defaultdict(lambda: defaultdict(float))
    per_pass = defaultdict(float)
    stack = []  # [kind, label, start, child_time]
    for what, kind, label, t in records:
        if what == "start":
            stack.append([kind, label, t, 0.0])
            continue
        kind, label, start, child = stack.pop()
        duration = t - start
        if stack:
            stack[-1][3] += duration
        own = duration - child
        owner = next((s[1] for s in reversed(stack) if s[0] == "numba:compile"), None)
        if kind == "numba:compile":
            per_function[label]["other"] += own
            continue
        if kind == "numba:run_pass":
            per_pass[label] += own
            category = {"nopython_type_inference": "typing", "native_lowering": "lower"}.get(
                label, "other"
            )
        else:
            category = kind
        if category in ("load", "save"):
            # Charged to the function cached, not to the caller being typed.
            owner = label
        per_function[owner if owner is not None else "(outside compile)"][category] += own
    functions = {name: dict(cats) for name, cats in per_function.items()}
    return functions, dict(per_pass)


def timed(function, *args):
    """(wall, CPU) seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    function(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def track_gc():
    """A dict whose "gc" entry accumulates the CPU time of Python's collector."""
    import gc

    spent = {"gc": 0.0, "_start": 0.0}

    def callback(phase, info):
        if phase == "start":
            spent["_start"] = time.thread_time()
        else:
            spent["gc"] += time.thread_time() - spent["_start"]

    gc.callbacks.append(callback)
    return spent


def child(scenario, hidden, max_iter):
    if os.environ.get("COMPILE_PROFILE_GC") == "off":
        # What the collector costs during compilation: measure without it.
        import gc

        gc.disable()
    start, start_cpu = time.perf_counter(), time.process_time()
    gc_time = track_gc()
    recorder = install_recorder()
    import numpy as np
    import scipy.sparse as sp

    import skreg
    from skreg import RegularizedMLPClassifier

    times = {"import": time.perf_counter() - start, "import (cpu)": time.process_time() - start_cpu}
    rng = np.random.default_rng(0)
    X = rng.standard_normal((500, 20))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    import warnings

    warnings.simplefilter("ignore")
    for dtype, solver, sparse, *params in SCENARIOS[scenario]:
        Xd = X.astype(dtype)
        if sparse:
            Xd = sp.csr_matrix(np.where(np.abs(Xd) > 1, Xd, 0))
        settings = {"solver": solver, "max_iter": max_iter, "random_state": 0, **dict(*params)}
        est = RegularizedMLPClassifier(hidden, **settings)
        tag = f"{dtype} {solver}{' csr' if sparse else ''}"
        times[f"fit {tag}"], times[f"fit {tag} (cpu)"] = timed(est.fit, Xd, y)
        times[f"predict {tag}"], times[f"predict {tag} (cpu)"] = timed(est.predict, Xd)
    if scenario == "trivial":
        # Numba's one-off set-up: the first compile of a two-line function.
        from numba import njit

        times["trivial njit"], times["trivial njit (cpu)"] = timed(
            njit(lambda a: a.sum() + 1.0), np.ones(3)
        )
    times["skreg imported from " + os.path.dirname(os.path.dirname(skreg.__file__))] = 0.0
    del skreg
    times["gc (cpu, included above)"] = gc_time["gc"]
    times["peak RSS MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    functions, passes = exclusive_times(recorder.records)
    return {"times": times, "functions": functions, "passes": passes}


# --------------------------------------------------------------------------
# Parent
# --------------------------------------------------------------------------


def run_child(scenario, cache_dir, extra_env, skreg_dir, args):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, **extra_env)
    if skreg_dir:
        env["PYTHONPATH"] = skreg_dir
    command = [
        sys.executable,
        __file__,
        "--child",
        scenario,
        "--hidden",
        ",".join(map(str, args.hidden)),
        "--max-iter",
        str(args.max_iter),
    ]
    start = time.perf_counter()
    out = subprocess.run(command, env=env, capture_output=True, text=True)
    if out.returncode:
        sys.exit(out.stderr)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["times"]["process"] = time.perf_counter() - start
    return result


def median_table(results):
    """Median over runs of each function's categories; rows sorted by total."""
    names = sorted({n for r in results for n in r["functions"]})
    rows = []
    for name in names:
        cats = {
            c: statistics.median(r["functions"].get(name, {}).get(c, 0.0) for r in results)
            for c in CATEGORIES
        }
        rows.append((sum(cats.values()), name, cats))
    rows.sort(reverse=True)
    return rows


def print_report(title, results, top):
    print(f"\n## {title} ({len(results)} runs, medians)")
    keys = results[0]["times"].keys()
    for key in keys:
        if key.startswith("skreg imported from"):
            print(f"  {key}")
            continue
        values = [r["times"][key] for r in results]
        unit = "MB" if key.endswith("MB") else "s"
        print(
            f"  {key:30s} {statistics.median(values):7.2f} {unit}   "
            f"(runs: {', '.join(f'{v:.2f}' for v in values)})"
        )
    passes = {
        name: statistics.median(r["passes"].get(name, 0.0) for r in results)
        for name in results[0]["passes"]
    }
    print(
        "  compiler passes (exclusive): "
        + ", ".join(
            f"{name} {t:.2f}" for name, t in sorted(passes.items(), key=lambda kv: -kv[1])[:8]
        )
    )
    rows = median_table(results)
    totals = {c: sum(cats[c] for _, _, cats in rows) for c in CATEGORIES}
    n_sigs = len([r for r in rows if not r[1].startswith("(")])
    print(
        f"  compiled signatures: {n_sigs}; total {sum(totals.values()):.2f} s = "
        + " + ".join(f"{c} {v:.2f}" for c, v in totals.items() if v > 0.005)
    )
    print("  | function(signature) | total | " + " | ".join(CATEGORIES) + " |")
    for total, name, cats in rows[:top]:
        short = name if len(name) < 110 else name[:107] + "..."
        print(
            f"  | {short} | {total:.2f} | "
            + " | ".join(f"{cats[c]:.2f}" for c in CATEGORIES)
            + " |"
        )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scenarios", nargs="*", default=["f64"])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument(
        "--warm", action="store_true", help="also run a second process on each filled cache"
    )
    parser.add_argument(
        "--env", action="append", default=[], help="NAME=VALUE for the child processes"
    )
    parser.add_argument("--hidden", default="100")
    parser.add_argument("--max-iter", type=int, default=3)
    parser.add_argument("--top", type=int, default=60)
    parser.add_argument("--json", help="write the raw results here")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        help="NAME=FOLDER[:VAR=VALUE...]: import skreg from FOLDER (a copy "
        "being compared; empty: as installed) with these environment "
        "variables; repeat to compare, runs are interleaved",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.hidden = tuple(int(h) for h in args.hidden.split(","))
    return args


def variants_of(args):
    """[(name, skreg folder or None, extra environment)], from --variant and --env."""
    base_env = dict(item.split("=", 1) for item in args.env)
    if not args.variant:
        return [("as installed", None, base_env)]
    variants = []
    for spec in args.variant:
        # NAME=FOLDER[:VAR=VALUE...]
        name, rest = spec.split("=", 1)
        folder, *settings = rest.split(":")
        variants.append(
            (name, folder or None, dict(base_env, **dict(item.split("=", 1) for item in settings)))
        )
    return variants


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.hidden, args.max_iter)))
        return 0
    variants = variants_of(args)
    everything = {}
    for scenario in args.scenarios:
        cold = defaultdict(list)
        warm = defaultdict(list)
        # Variants interleaved, so that a change in the machine's load hits all.
        for _ in range(args.repeats):
            for name, folder, env in variants:
                with tempfile.TemporaryDirectory(prefix="skreg_compile_") as cache:
                    cold[name].append(run_child(scenario, cache, env, folder, args))
                    if args.warm:
                        warm[name].append(run_child(scenario, cache, env, folder, args))
        for name, folder, env in variants:
            label = f"{scenario} / {name} {env or ''}"
            print_report(f"{label} cold", cold[name], args.top)
            if warm[name]:
                print_report(f"{label} warm", warm[name], args.top)
            everything[f"{scenario} / {name}"] = {
                "cold": cold[name],
                "warm": warm[name],
                "env": env,
                "skreg": folder,
            }
        sys.stdout.flush()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(everything, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
