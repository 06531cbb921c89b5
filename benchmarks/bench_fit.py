"""Training time per epoch: skreg against scikit-learn's MLPClassifier and a
plain PyTorch CPU loop (when torch is installed), timed by pyperf.

Per shape also the BLAS floor: ``np.dot`` on one batch's products.
``--contention``: again with one core busy; ``--scaling``: a sweep over
n_samples and the hidden width (``results/bench_scaling.*``); ``--small``:
skreg on tables of a few hundred rows, where the Python around each epoch
weighs.  ``--only skreg`` times skreg and the floor alone (its table:
``results/bench_fit_skreg.*``); add ``-o FILE`` for ``python -m pyperf compare_to``.

Usage: python benchmarks/bench_fit.py [--contention | --scaling | --small] [--quick] [--report-only]
"""

import contextlib
import functools
import importlib.util
import subprocess
import sys
import time

import _harness as H
import numpy as np

import _common as C

# (n_samples, n_features, hidden_layer_sizes, batch_size)
SHAPES = [
    (20000, 50, (64,), 200),
    (20000, 50, (256,), 200),
    (20000, 200, (1024,), 200),
    (20000, 50, (64,), 32),
    (30000, 40, (128, 64), 128),
    (20000, 20, (32,), 64),
    (10000, 300, (512,), 256),
]
QUICK_SHAPES = [(2000, 20, (32,), 200), (2000, 20, (32,), 32)]
BIG_SHAPE = (20000, 200, (1024,), 200)  # the shape with its own targets
# Every shape should train near the BLAS floor: at most this many times the
# time np.dot takes for the same products (outside them an epoch only makes
# one optimizer pass and a few elementwise passes), and no slower than torch.
FLOOR_LIMIT = 1.4
DTYPES = ("float64", "float32")
RUNNER_DEFAULTS = dict(processes=4, values=3, min_time=1.0)
# --scaling: n_samples at the base width, then widths at the base n_samples
SCALING = dict(
    n_samples=[1_000, 3_000, 10_000, 30_000, 100_000],
    hidden=[16, 32, 64, 128, 256, 512, 1024, 2048],
    base_samples=20_000, n_features=50, base_hidden=64, batch_size=200, dtype="float64",
)  # fmt: skip
QUICK_SCALING = dict(
    SCALING, n_samples=[500, 1_000, 2_000], hidden=[16, 32, 64], base_samples=2_000,
    n_features=20, base_hidden=32,
)  # fmt: skip
# --small: (n_samples, n_features, penalty, batch), hidden (100,), alpha 1e-3; "group"
# adds group_alpha=1e-5 to the L2 term, a rate that removes nothing.  168 x 376 in
# batches of 42 is a fold of the hepatic table as the CV estimators train it.
SMALL_SHAPES = [
    (200, 20, "l2", 200),
    (300, 100, "l2", 200),
    (150, 750, "l2", 200),
    (150, 750, "l1", 200),
    (168, 376, "l2", 42),
    (168, 376, "l1", 42),
    (168, 376, "group", 42),
]


@functools.cache
def fitter(name, shape, dtype, activation="relu", penalty=None):
    """``fit(epochs) -> seconds`` after one untimed fit (compilation, imports)."""
    n_samples, n_features, hidden, batch_size = shape
    X, y = C.classification_data(n_samples, n_features, dtype)
    if name == "torch":
        import _torch_mlp

        X_t, y_t = _torch_mlp.to_tensors(X, y)

        def fit(epochs):
            return H.timed(_torch_mlp.fit, X_t, y_t, hidden, batch_size, epochs)

    else:

        def fit(epochs):
            est = C.make_estimator(name, hidden, batch_size, epochs)
            est.set_params(activation=activation)
            if penalty == "group":
                est.set_params(alpha=1e-3, group_alpha=1e-5)
            elif penalty:
                est.set_params(penalty=penalty, alpha=1e-3)
            seconds = H.timed(est.fit, X, y)
            if est.n_iter_ != epochs:
                raise RuntimeError(f"{name} ran {est.n_iter_} epochs, not {epochs}")
            return seconds

    fit(1)
    return fit


def bench_epochs(runner, label, name, shape, dtype, activation="relu", penalty=None):
    """A pyperf benchmark of seconds per epoch (the fitter built in the worker)."""

    def time_func(loops):
        return H.epoch_time_func(fitter(name, shape, dtype, activation, penalty))(loops)

    return runner.bench_time_func(f"{label} {name}", time_func)


def layer_units(shape):
    return [shape[1], *shape[2], 1]


def batch_products(units, batch_size, dtype, seed=0):
    """The products of one batch's forward and backward pass (no delta for
    the input layer), as a function, and their FLOPs."""
    rng = np.random.default_rng(seed)
    n = len(units) - 1
    X = rng.standard_normal((batch_size, units[0])).astype(dtype)
    W = [rng.standard_normal((units[i], units[i + 1])).astype(dtype) for i in range(n)]
    acts = [np.empty((batch_size, units[i + 1]), dtype) for i in range(n)]
    deltas = [rng.standard_normal((batch_size, units[i + 1])).astype(dtype) for i in range(n)]
    grads = [np.empty_like(w) for w in W]

    def run():
        A = X
        for i in range(n):
            np.dot(A, W[i], out=acts[i])
            A = acts[i]
        for i in range(n - 1, -1, -1):
            np.dot((X if i == 0 else acts[i - 1]).T, deltas[i], out=grads[i])
            if i > 0:
                np.dot(deltas[i], W[i].T, out=deltas[i - 1])

    sizes = [a * b for a, b in zip(units[:-1], units[1:])]
    return run, 2 * batch_size * (2 * sum(sizes) + sum(sizes[1:]))


def bench_floor(runner, label, shape, dtype):
    n_batches = -(-shape[0] // shape[3])

    def epoch():
        run, _ = batch_products(layer_units(shape), shape[3], dtype)
        start = time.perf_counter()
        for _ in range(n_batches):
            run()
        return time.perf_counter() - start

    return runner.bench_time_func(
        f"{label} np.dot", lambda loops: sum(epoch() for _ in range(loops))
    )


def shape_dict(shape):
    keys = ("n_samples", "n_features", "hidden", "batch_size")
    return dict(zip(keys, [shape[0], shape[1], list(shape[2]), shape[3]]))


def result(shape, dtype, benches, floor):
    timings = {n: {"seconds_per_epoch": b.median(), **H.stats(b)} for n, b in benches.items()}
    row = {"shape": shape_dict(shape), "dtype": dtype, "timings": timings}
    if floor is None:
        return row
    seconds = floor.median()
    units = layer_units(shape)
    _, flops = batch_products(units, shape[3], dtype)
    n_batches = -(-shape[0] // shape[3])
    nominal = 6 * shape[0] * sum(a * b for a, b in zip(units[:-1], units[1:]))
    skreg = timings["skreg"]["seconds_per_epoch"]
    gflops = flops * n_batches / seconds / 1e9
    row["np_dot"] = {"seconds_per_epoch": seconds, "gflops": gflops}
    row["skreg_gflops_nominal"] = nominal / skreg / 1e9
    row["fraction_of_np_dot_gflops"] = nominal / skreg / 1e9 / gflops
    row["blas_time_fraction"] = seconds / skreg
    return row


def speedup(r, peer):
    t = r["timings"]
    if peer not in t or "skreg" not in t:
        return None
    return t[peer]["seconds_per_epoch"] / t["skreg"]["seconds_per_epoch"]


def shape_label(s):
    return f"{s['n_samples']}x{s['n_features']}, {tuple(s['hidden'])}, batch {s['batch_size']}"


def ms(r, name):
    t = r["timings"].get(name)
    return None if t is None else 1e3 * t["seconds_per_epoch"]


def percent(r, key):
    return f"{100 * r[key]:.0f} %" if key in r else "-"


def table(results):
    headers = ["shape (n x features, hidden, batch)", "dtype", "skreg ms/epoch"]
    headers += ["sklearn ms/epoch", "torch ms/epoch", "sklearn / skreg", "torch / skreg"]
    headers += ["skreg GFLOP/s", "np.dot GFLOP/s", "skreg / np.dot", "BLAS share of epoch"]
    rows = [
        [shape_label(r["shape"]), r["dtype"]]
        + [C.fmt(ms(r, n)) for n in ("skreg", "sklearn", "torch")]
        + [C.fmt(speedup(r, "sklearn")), C.fmt(speedup(r, "torch"))]
        + [C.fmt(r.get("skreg_gflops_nominal")), C.fmt(r.get("np_dot", {}).get("gflops"))]
        + [percent(r, "fraction_of_np_dot_gflops"), percent(r, "blas_time_fraction")]
        for r in results
    ]
    return C.markdown_table(headers, rows)


def is_big(r):
    s = r["shape"]
    return (s["n_samples"], s["n_features"], tuple(s["hidden"]), s["batch_size"]) == BIG_SHAPE


def targets(results):
    out = []
    for r in results:
        label = f"{r['dtype']} {shape_label(r['shape'])}"
        if "blas_time_fraction" in r:
            name = f"{label}: skreg time / BLAS floor"
            out.append(C.target(name, 1.0 / r["blas_time_fraction"], FLOOR_LIMIT, at_most=True))
        if "torch" in r["timings"]:
            out.append(C.target(f"{label}: x faster than torch", speedup(r, "torch"), 1.0))
    big = {r["dtype"]: r for r in results if is_big(r)}
    if len(big) == 2:
        ratio = ms(big["float64"], "skreg") / ms(big["float32"], "skreg")
        out.append(C.target("(200, 1024): float32 x faster than float64", ratio, 1.5))
    for dtype, r in big.items():
        name = f"(200, 1024) {dtype}: fraction of np.dot GFLOP/s"
        out.append(C.target(name, r.get("fraction_of_np_dot_gflops"), 0.6))
    return out


def contention_table(pairs):
    headers = ["shape (n x features, hidden, batch)", "dtype"]
    for name in ("skreg", "sklearn"):
        headers += [f"{name} quiet ms", f"{name} busy ms", f"{name} busy / quiet"]
    rows = []
    for quiet, busy in pairs:
        row = [shape_label(quiet["shape"]), quiet["dtype"]]
        for name in ("skreg", "sklearn"):
            q, b = ms(quiet, name), ms(busy, name)
            row += [C.fmt(q), C.fmt(b), C.fmt(None if q is None or b is None else b / q)]
        rows.append(row)
    return C.markdown_table(headers, rows)


def contention_targets(pairs, limit=1.5):
    out = []
    for q, b in pairs:
        name = f"{shape_label(q['shape'])} {q['dtype']}: skreg busy / quiet time"
        out.append(C.target(name, ms(b, "skreg") / ms(q, "skreg"), limit, at_most=True))
    return out


def how_timed(settings):
    # old results: repeats of our own loop
    if "processes" in settings:
        return f"median of pyperf values, {settings['processes']} processes x {settings['values']}"
    return f"median of {settings['repeats']} to {settings['max_repeats']} repeats"


def render(payload):
    results, pairs = payload["results"], list(zip(payload["results"], payload["busy_results"]))
    sections = [f"### Training time per epoch ({how_timed(payload['settings'])})", table(results)]
    sections += ["### Targets", C.targets_table(targets(results))]
    if pairs:
        sections += ["### One core busy with another process", contention_table(pairs)]
        sections.append(C.targets_table(contention_targets(pairs)))
    return "\n\n".join(sections)


@contextlib.contextmanager
def busy_core():
    """A child process spinning on one core (for an hour at most)."""
    loop = "import time\nend = time.time() + 3600\nwhile time.time() < end:\n    pass\n"
    process = subprocess.Popen([sys.executable, "-c", loop])
    time.sleep(0.5)  # let it start spinning
    try:
        yield
    finally:
        process.kill()
        process.wait()


def scaling_title(s):
    return (
        f"Time per epoch, {s['dtype']}, {s['n_features']} features, batch {s['batch_size']}; "
        f"left: hidden {s['base_hidden']}; right: {s['base_samples']} samples"
    )


def render_scaling(payload):
    s, names = payload["settings"], payload["settings"]["estimators"]
    rows = []
    for r in payload["results"]:
        t = r["seconds_per_epoch"]
        rows.append(
            [r["sweep"], r["n_samples"], r["hidden"]]
            + [C.fmt(1e3 * t[n]) for n in names]
            + [C.fmt(t[n] / t["skreg"]) for n in names if n != "skreg"]
        )
    headers = ["sweep", "n_samples", "hidden"] + [f"{n} ms/epoch" for n in names]
    headers += [f"{n} / skreg" for n in names if n != "skreg"]
    how = f"{s.get('processes')} processes x {s.get('values')} values"
    if "processes" not in s:  # before pyperf
        how = f"{s['repeats']} to {s['max_repeats']} repeats"
    plot = "(matplotlib missing: no plot)"
    plot = "![scaling plot](bench_scaling.png)" if payload["plot"] else plot
    title = f"### Scaling ({scaling_title(s)}; median of {how})"
    return "\n\n".join([title, C.markdown_table(headers, rows), plot])


def plot_scaling(results, names, path, title):
    """Two log-log panels; False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, sweep in zip(axes, ("n_samples", "hidden")):
        points = [r for r in results if r["sweep"] == sweep]
        for name in names:
            # A noisy (quick) run can give a non-positive difference: not plotted.
            xy = [(r["x"], 1e3 * r["seconds_per_epoch"][name]) for r in points]
            ax.plot(*zip(*[(x, t) for x, t in xy if t > 0]), "o-", label=name)
        ax.set_xscale("log", base=2 if sweep == "hidden" else 10)
        ax.set_yscale("log")
        ax.set_xticks([r["x"] for r in points], [str(r["x"]) for r in points])
        ax.minorticks_off()
        xlabel = "hidden units (one layer)" if sweep == "hidden" else sweep
        ax.set(xlabel=xlabel, ylabel="ms per epoch")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def scaling(runner, args, names):
    cfg = QUICK_SCALING if args.quick else SCALING
    points = [("n_samples", n, n, cfg["base_hidden"]) for n in cfg["n_samples"]]
    points += [("hidden", h, cfg["base_samples"], h) for h in cfg["hidden"]]
    results, benches = [], []
    for sweep, x, n_samples, width in points:
        shape = (n_samples, cfg["n_features"], (width,), cfg["batch_size"])
        label = f"{sweep}={x} {cfg['dtype']}"
        point = {n: bench_epochs(runner, label, n, shape, cfg["dtype"]) for n in names}
        benches += point.values()
        if not H.is_worker(runner):
            row = dict(sweep=sweep, x=x, n_samples=n_samples, hidden=width)
            row["seconds_per_epoch"] = {n: b.median() for n, b in point.items()}
            results.append({**row, "timings": {n: H.stats(b) for n, b in point.items()}})
    if H.is_worker(runner):
        return 0
    settings = dict(cfg, processes=args.processes, values=args.values, estimators=names)
    png = C.results_path("bench_scaling", args.quick, ".png")
    plotted = plot_scaling(results, names, png, scaling_title(settings))
    payload = {"settings": settings, "results": results, "plot": png.name if plotted else None}
    markdown = render_scaling(payload)
    return H.publish("bench_scaling", args, payload, markdown, benches, [png] if plotted else [])


def small(runner, args):
    """skreg's ms per epoch on SMALL_SHAPES (float64), to compare copies of it."""
    benches = [
        bench_epochs(
            runner, f"{n}x{d}/{b} {pen}", "skreg", (n, d, (100,), b), "float64", penalty=pen
        )
        for n, d, pen, b in SMALL_SHAPES[: 2 if args.quick else None]
    ]
    if H.is_worker(runner):
        return 0
    rows = [[b.get_name(), C.fmt(1e3 * b.median())] for b in benches]
    markdown = "### skreg on small tables\n\n" + C.markdown_table(["shape", "ms/epoch"], rows)
    payload = {"results": {b.get_name(): H.stats(b) for b in benches}}
    return H.publish("bench_small", args, payload, markdown, benches)


def add_options(parser):
    parser.add_argument("--only", nargs="+", help="estimators to time (skreg sklearn torch)")
    parser.add_argument("--activation", default="relu", help="hidden activation (default relu)")
    parser.add_argument("--contention", action="store_true", help="again with one core busy")
    parser.add_argument("--scaling", action="store_true", help="the n_samples and width sweep")
    parser.add_argument("--small", action="store_true", help="skreg on a few hundred rows")


def results_name(args):
    """``bench_fit``, or with ``--only`` ``bench_fit_<names>``: a run of some
    estimators keeps a table of its own instead of replacing the full one."""
    return "_".join(["bench_fit", *(args.only or [])])


def main():
    runner, args = H.runner(__doc__, "small shapes, one process", add_options, **RUNNER_DEFAULTS)
    if args.report_only:
        if args.scaling:
            return H.report("bench_scaling", render_scaling)
        return H.report(results_name(args), render)
    C.silence_convergence_warnings()
    if args.small:
        return small(runner, args)
    names = args.only or ["skreg", "sklearn", "torch"]
    if args.activation != "relu" or not importlib.util.find_spec("torch"):
        names = [n for n in names if n != "torch"]
    if args.scaling:
        return scaling(runner, args, names)
    results, busy, benches = [], [], []
    for shape in QUICK_SHAPES if args.quick else SHAPES:
        for dtype in DTYPES:
            label = f"{shape_label(shape_dict(shape))} {dtype}"
            each = functools.partial(bench_epochs, runner, shape=shape, dtype=dtype)
            quiet = {n: each(label, n, activation=args.activation) for n in names}
            floor = bench_floor(runner, label, shape, dtype) if "skreg" in names else None
            benches += [*quiet.values(), floor]
            if args.contention:
                # the torch loop is left out: it does not adapt its threads,
                # and with a core busy its epochs take seconds
                with busy_core() if not H.is_worker(runner) else contextlib.nullcontext():
                    kept = [n for n in names if n != "torch"]
                    loaded = {n: each(f"{label} busy", n, activation=args.activation) for n in kept}
                benches += loaded.values()
            if not H.is_worker(runner):
                results.append(result(shape, dtype, quiet, floor))
                if args.contention:
                    busy.append(result(shape, dtype, loaded, None))
    if H.is_worker(runner):
        return 0
    settings = dict(processes=args.processes, values=args.values, estimators=names)
    settings.update(activation=args.activation, learning_rate_init=C.LEARNING_RATE, alpha=C.ALPHA)
    payload = {"settings": settings, "results": results, "busy_results": busy}
    return H.publish(results_name(args), args, payload, render(payload), benches)


if __name__ == "__main__":
    sys.exit(main())
