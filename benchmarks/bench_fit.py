"""Training time per epoch: skreg against scikit-learn's MLPClassifier and a
plain PyTorch CPU loop (when torch is installed).

Time per epoch is ``(t_long - t_short) / (long_epochs - short_epochs)`` for
two fits of a fresh estimator, so input validation, allocation and Numba
compilation cancel out; ``t_long`` and ``t_short`` are each the median over
the repeats (robust to a fit slowed by other processes).  Every
estimator gets one warm-up fit first (compilation, caches), and the repeats
interleave the estimators so that a busy machine slows them alike.

Also measured, for each shape: the GFLOP/s of ``np.dot`` on the matrix
products of one batch's forward and backward pass, to say how close skreg
gets to the BLAS floor.

With ``--contention``, every configuration is measured twice: on the quiet
machine, then while a child process keeps one core busy with a plain busy
loop (``_common.BusyCore``); the table gives skreg's and scikit-learn's
busy/quiet ratios (the torch loop is left out of the busy run).

Usage::

    python benchmarks/bench_fit.py                 # full run, ~10 minutes on 2 cores
    python benchmarks/bench_fit.py --contention    # quiet and one core busy, ~20 minutes
    python benchmarks/bench_fit.py --quick         # smoke test, a few seconds
"""

import sys

import numpy as np

import _common as C

# (n_samples, n_features, hidden_layer_sizes, batch_size)
SHAPES = [
    (20000, 50, (64,), 200),
    (20000, 50, (256,), 200),
    (20000, 200, (1024,), 200),
    (20000, 50, (64,), 32),
    # shapes first measured outside this script
    (30000, 40, (128, 64), 128),
    (20000, 20, (32,), 64),
    (10000, 300, (512,), 256),
]
QUICK_SHAPES = [
    (2000, 20, (32,), 200),
    (2000, 20, (32,), 32),
]
BIG_SHAPE = (20000, 200, (1024,), 200)  # the shape with its own targets
# Layers this wide should train at the BLAS floor: at most this many times
# the time np.dot takes for the same products.
WIDE_LAYER = 512
FLOOR_LIMIT = 1.2
DTYPES = ("float64", "float32")


# --------------------------------------------------------------------------
# Fitting functions: epochs -> seconds
# --------------------------------------------------------------------------


def estimator_fitter(name, X, y, hidden, batch_size):
    def fit(epochs):
        est = C.make_estimator(name, hidden, batch_size, epochs)
        seconds = C.timed(est.fit, X, y)
        if est.n_iter_ != epochs:
            raise RuntimeError(f"{name} ran {est.n_iter_} epochs, not {epochs}")
        return seconds

    return fit


def torch_fitter(X, y, hidden, batch_size):
    import _torch_mlp

    _torch_mlp.setup_threads()
    X_t, y_t, n_classes = _torch_mlp.to_tensors(X, y)

    def fit(epochs):
        return C.timed(_torch_mlp.fit, X_t, y_t, n_classes, hidden, batch_size, epochs)

    return fit


def make_fitters(names, X, y, hidden, batch_size):
    fitters = {}
    for name in names:
        if name == "torch":
            fitters[name] = torch_fitter(X, y, hidden, batch_size)
        else:
            fitters[name] = estimator_fitter(name, X, y, hidden, batch_size)
    return fitters


# --------------------------------------------------------------------------
# Per-epoch timing
# --------------------------------------------------------------------------


def plan_epochs(fit, args):
    """Warm up, probe one epoch (best of two), and choose (short, long) epoch counts."""
    fit(1)
    if args.quick:
        return 1, 4
    probe = min(fit(1), fit(1))
    extra = C.extra_epochs(probe, args.target_seconds, args.min_extra, args.max_extra)
    return 1, 1 + extra


def summarize(repeats, short, long):
    """Seconds per epoch from the repeats of one estimator.

    The reported value is (median of the long fits - median of the short
    fits) / extra epochs: a fit slowed down by a burst of load from other
    processes then spoils neither median unless it happens in most repeats.
    The median of the per-repeat differences and the min-based value are
    kept too."""
    shorts = [r["short"] for r in repeats]
    longs = [r["long"] for r in repeats]
    return {
        "epochs": (short, long),
        "repeats": repeats,
        "seconds_per_epoch": C.epoch_time_from_pair(C.median(shorts), C.median(longs), short, long),
        "median_of_differences": C.median([r["per_epoch"] for r in repeats]),
        "min_based": C.epoch_time_from_pair(min(shorts), min(longs), short, long),
    }


def timed_pair(fit, short, long, gate):
    """One repeat: a short and a long fit, each after waiting for idle CPUs."""
    busy_short = gate.wait()
    t_short = fit(short)
    busy_long = gate.wait()
    t_long = fit(long)
    return {
        "short": t_short,
        "long": t_long,
        "per_epoch": C.epoch_time_from_pair(t_short, t_long, short, long),
        "busy_cpus_before": [busy_short, busy_long],
    }


def unsettled(summary, tolerance=1.25):
    """True when the median-based time is far above the best-case one: some
    fits were slowed down by other processes, more repeats are needed."""
    return summary["seconds_per_epoch"] > tolerance * max(summary["min_based"], 1e-9)


def time_per_epoch(fitters, args, gate):
    """Seconds per epoch of each fitter (see ``summarize``), with the raw times.

    The repeats interleave the fitters, so that load from other processes
    falls on all of them alike; ``gate`` waits for idle CPUs before each fit.
    A fitter whose result is still unsettled after ``args.repeats`` repeats
    gets more, up to ``args.max_repeats``."""
    plans = {name: plan_epochs(fit, args) for name, fit in fitters.items()}
    raw = {name: [] for name in fitters}
    for _ in range(args.repeats):
        for name, fit in fitters.items():
            raw[name].append(timed_pair(fit, *plans[name], gate))
    for name, fit in fitters.items():
        while len(raw[name]) < args.max_repeats and unsettled(summarize(raw[name], *plans[name])):
            raw[name].append(timed_pair(fit, *plans[name], gate))
    return {name: summarize(raw[name], *plans[name]) for name in fitters}


# --------------------------------------------------------------------------
# The BLAS floor: np.dot on one batch's matrix products
# --------------------------------------------------------------------------


def layer_units(n_features, hidden, n_outputs):
    return [n_features, *hidden, n_outputs]


def n_weights(units):
    return sum(a * b for a, b in zip(units[:-1], units[1:]))


def batch_products(units, batch_size, dtype, seed=0):
    """A function running the products of one batch's forward and backward
    pass (those skreg runs: no delta for the input layer), and their FLOPs."""
    rng = np.random.default_rng(seed)
    n_layers = len(units) - 1
    X = rng.standard_normal((batch_size, units[0])).astype(dtype)
    W = [rng.standard_normal((units[l], units[l + 1])).astype(dtype) for l in range(n_layers)]
    acts = [np.empty((batch_size, units[l + 1]), dtype) for l in range(n_layers)]
    deltas = [
        rng.standard_normal((batch_size, units[l + 1])).astype(dtype) for l in range(n_layers)
    ]
    grads = [np.empty_like(w) for w in W]

    def run():
        A = X
        for l in range(n_layers):
            np.dot(A, W[l], out=acts[l])
            A = acts[l]
        for l in range(n_layers - 1, -1, -1):
            A_in = X if l == 0 else acts[l - 1]
            np.dot(A_in.T, deltas[l], out=grads[l])
            if l > 0:
                np.dot(deltas[l], W[l].T, out=deltas[l - 1])

    sizes = [a * b for a, b in zip(units[:-1], units[1:])]
    flops = 2 * batch_size * (2 * sum(sizes) + sum(sizes[1:]))
    return run, flops


def dot_floor(n_samples, units, batch_size, dtype, repeats, gate):
    """Seconds per epoch spent in np.dot alone, and its GFLOP/s."""
    run, flops = batch_products(units, batch_size, dtype)
    n_batches = -(-n_samples // batch_size)

    def epoch():
        for _ in range(n_batches):
            run()

    epoch()
    times = []
    for _ in range(max(2 * repeats, 7)):
        gate.wait()
        times.append(C.timed(epoch))
    seconds = C.median(times)
    return {"seconds_per_epoch": seconds, "gflops": flops * n_batches / seconds / 1e9}


# --------------------------------------------------------------------------
# One configuration, the table and the targets
# --------------------------------------------------------------------------


def measure_config(shape, dtype, names, args, gate):
    n_samples, n_features, hidden, batch_size = shape
    X, y = C.classification_data(n_samples, n_features, dtype)
    fitters = make_fitters(names, X, y, hidden, batch_size)
    timings = time_per_epoch(fitters, args, gate)
    units = layer_units(n_features, hidden, 1 if C.N_CLASSES == 2 else C.N_CLASSES)
    floor = dot_floor(n_samples, units, batch_size, dtype, args.repeats, gate)
    nominal_flops = 6 * n_samples * n_weights(units)
    skreg_seconds = timings["skreg"]["seconds_per_epoch"]
    return {
        "shape": {
            "n_samples": n_samples,
            "n_features": n_features,
            "hidden": list(hidden),
            "batch_size": batch_size,
        },
        "dtype": dtype,
        "timings": timings,
        "np_dot": floor,
        "skreg_gflops_nominal": nominal_flops / skreg_seconds / 1e9,
        "fraction_of_np_dot_gflops": nominal_flops / skreg_seconds / 1e9 / floor["gflops"],
        "blas_time_fraction": floor["seconds_per_epoch"] / skreg_seconds,
    }


def measure_busy(shape, dtype, names, args, gate):
    """``measure_config`` while a child process keeps one core busy; the idle
    gate then waits for one busy CPU (the child's) instead of none."""
    gate.threshold += 1.0
    try:
        with C.BusyCore():
            result = measure_config(shape, dtype, names, args, gate)
    finally:
        gate.threshold -= 1.0
    print(
        "  one core busy: " + ", ".join(f"{n} {ms(result, n):.2f} ms" for n in names),
        flush=True,
    )
    return result


def speedup(result, peer):
    timings = result["timings"]
    if peer not in timings:
        return None
    return timings[peer]["seconds_per_epoch"] / timings["skreg"]["seconds_per_epoch"]


def shape_label(shape):
    return (
        f"{shape['n_samples']}x{shape['n_features']}, "
        f"{tuple(shape['hidden'])}, batch {shape['batch_size']}"
    )


def ms(result, name):
    timing = result["timings"].get(name)
    return None if timing is None else 1e3 * timing["seconds_per_epoch"]


def table(results):
    headers = [
        "shape (n x features, hidden, batch)",
        "dtype",
        "skreg ms/epoch",
        "sklearn ms/epoch",
        "torch ms/epoch",
        "sklearn / skreg",
        "torch / skreg",
        "skreg GFLOP/s",
        "np.dot GFLOP/s",
        "skreg / np.dot",
        "BLAS share of epoch",
    ]
    rows = [
        [
            shape_label(r["shape"]),
            r["dtype"],
            C.fmt(ms(r, "skreg")),
            C.fmt(ms(r, "sklearn")),
            C.fmt(ms(r, "torch")),
            C.fmt(speedup(r, "sklearn")),
            C.fmt(speedup(r, "torch")),
            C.fmt(r["skreg_gflops_nominal"]),
            C.fmt(r["np_dot"]["gflops"]),
            f"{100 * r['fraction_of_np_dot_gflops']:.0f} %",
            f"{100 * r['blas_time_fraction']:.0f} %",
        ]
        for r in results
    ]
    return C.markdown_table(headers, rows)


def is_big(result):
    s = result["shape"]
    return (s["n_samples"], s["n_features"], tuple(s["hidden"]), s["batch_size"]) == BIG_SHAPE


def targets(results):
    """The speed targets, each with its number (None when not measured)."""
    out = []
    for r in results:
        if r["dtype"] != "float64":
            continue
        want = 2.5 if is_big(r) else 5.0
        label = shape_label(r["shape"])
        out.append(_target(f"float64 {label}: x faster than sklearn", speedup(r, "sklearn"), want))
        out.append(_target(f"float64 {label}: x faster than torch", speedup(r, "torch"), 1.0))
    for r in results:
        if max(r["shape"]["hidden"]) >= WIDE_LAYER:
            label = shape_label(r["shape"])
            out.append(
                _target(
                    f"{r['dtype']} {label}: skreg time / BLAS floor",
                    1.0 / r["blas_time_fraction"],
                    FLOOR_LIMIT,
                    at_most=True,
                )
            )
    by_dtype = {r["dtype"]: r for r in results if is_big(r)}
    if len(by_dtype) == 2:
        ratio = ms(by_dtype["float64"], "skreg") / ms(by_dtype["float32"], "skreg")
        out.append(_target("(200, 1024): float32 x faster than float64", ratio, 1.5))
    for dtype, r in by_dtype.items():
        out.append(
            _target(
                f"(200, 1024) {dtype}: fraction of np.dot GFLOP/s",
                r["fraction_of_np_dot_gflops"],
                0.6,
            )
        )
    return out


def contention_table(pairs):
    """Quiet against one-core-busy per-epoch times, per configuration."""
    headers = [
        "shape (n x features, hidden, batch)",
        "dtype",
        "skreg quiet ms",
        "skreg busy ms",
        "skreg busy / quiet",
        "sklearn quiet ms",
        "sklearn busy ms",
        "sklearn busy / quiet",
    ]
    rows = []
    for quiet, busy in pairs:
        row = [shape_label(quiet["shape"]), quiet["dtype"]]
        for name in ("skreg", "sklearn"):
            q, b = ms(quiet, name), ms(busy, name)
            row += [C.fmt(q), C.fmt(b), C.fmt(None if q is None or b is None else b / q)]
        rows.append(row)
    return C.markdown_table(headers, rows)


def contention_targets(pairs, limit=1.5):
    """skreg's per-epoch time with one core busy, at most ``limit`` times the quiet one."""
    return [
        _target(
            f"{shape_label(q['shape'])} {q['dtype']}: skreg busy / quiet time",
            ms(b, "skreg") / ms(q, "skreg"),
            limit,
            at_most=True,
        )
        for q, b in pairs
    ]


def _target(name, value, threshold, at_most=False):
    """A target met when ``value`` reaches ``threshold`` (or, ``at_most``,
    stays at or below it)."""
    met = None if value is None else bool(value <= threshold if at_most else value >= threshold)
    return {"target": name, "value": value, "threshold": threshold, "at_most": at_most, "met": met}


def targets_table(items):
    rows = [
        [
            t["target"],
            f"{'<=' if t.get('at_most') else '>='} {t['threshold']}",
            C.fmt(t["value"]),
            "n/a" if t["met"] is None else ("met" if t["met"] else "MISSED"),
        ]
        for t in items
    ]
    return C.markdown_table(["target", "needs", "measured", "status"], rows)


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def add_max_repeats(parser):
    """--max-repeats, shared with bench_scaling; ``set_max_repeats`` fills
    in its default once --repeats is known."""
    parser.add_argument(
        "--max-repeats",
        type=int,
        default=None,
        help="repeats allowed when fits were disturbed by other "
        "processes (default: twice --repeats)",
    )


def set_max_repeats(args):
    if args.max_repeats is None:
        args.max_repeats = args.repeats if args.quick else 2 * args.repeats


def parse_args(argv=None):
    parser = C.bench_parser(__doc__, "small shapes, 1 and 4 epochs, one repeat (smoke test)")
    parser.add_argument(
        "--repeats", type=int, default=None, help="repeats per measurement (default 5, quick 1)"
    )
    parser.add_argument(
        "--target-seconds",
        type=float,
        default=1.5,
        help="how long the extra epochs of the long fit should last",
    )
    parser.add_argument("--min-extra", type=int, default=2)
    parser.add_argument("--max-extra", type=int, default=60)
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch loop")
    parser.add_argument(
        "--contention",
        action="store_true",
        help="measure each configuration again with one core kept busy",
    )
    add_max_repeats(parser)
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = 1 if args.quick else 5
    set_max_repeats(args)
    return args


def main(argv=None):
    args = parse_args(argv)
    C.silence_convergence_warnings()
    names = ["skreg", "sklearn"]
    if not args.no_torch and C.torch_available():
        names.append("torch")
        import _torch_mlp

        _torch_mlp.setup_threads()
    info = C.machine_info()
    gate = C.idle_gate(args)
    results, busy_results = [], []
    for shape in QUICK_SHAPES if args.quick else SHAPES:
        for dtype in DTYPES:
            result = measure_config(shape, dtype, names, args, gate)
            results.append(result)
            print(
                f"{shape_label(result['shape'])} {dtype}: "
                + ", ".join(f"{n} {ms(result, n):.2f} ms" for n in names),
                flush=True,
            )
            if args.contention:
                # the torch loop is left out: it does not adapt its threads,
                # and with a core busy its epochs take seconds
                busy_names = [n for n in names if n != "torch"]
                busy_results.append(measure_busy(shape, dtype, busy_names, args, gate))
    goals = targets(results)
    sections = [
        f"### Training time per epoch (median of {args.repeats} to {args.max_repeats} repeats)",
        table(results),
        "### Targets",
        targets_table(goals),
    ]
    if args.contention:
        pairs = list(zip(results, busy_results))
        busy_goals = contention_targets(pairs)
        goals += busy_goals
        sections += [
            "### One core busy with another process",
            contention_table(pairs),
            targets_table(busy_goals),
        ]
    markdown = "\n\n".join(sections + [C.gate_caption(gate), C.machine_caption(info)])
    payload = {
        "benchmark": "bench_fit",
        "quick": args.quick,
        "machine": info,
        "idle_gate": gate.report(),
        "settings": {
            **vars(args),
            "estimators": names,
            "learning_rate_init": C.LEARNING_RATE,
            "alpha": C.ALPHA,
            "n_classes": C.N_CLASSES,
        },
        "results": results,
        "busy_results": busy_results,
        "targets": goals,
    }
    return C.publish("bench_fit", args.quick, payload, markdown)


if __name__ == "__main__":
    sys.exit(main())
