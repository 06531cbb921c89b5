"""Scaling sweep: training time per epoch as n_samples grows (10^3 to 10^5)
and as the hidden width grows (16 to 2048), for skreg, scikit-learn's MLP and
(when installed) the PyTorch loop.  Writes a table, JSON and a PNG plot
(matplotlib, the ``benchmarks`` extra: ``pip install -e .[benchmarks]``).

Time per epoch is measured by pyperf as in bench_fit.py (long fit minus
short fit, median).

Usage::

    python benchmarks/bench_scaling.py            # full sweep
    python benchmarks/bench_scaling.py --quick    # smoke test
    python benchmarks/bench_scaling.py --report-only
"""

import sys

import _harness as H
from bench_fit import RUNNER_DEFAULTS, bench_epochs, estimator_names

import _common as C

FULL = dict(
    n_samples=[1_000, 3_000, 10_000, 30_000, 100_000],
    hidden=[16, 32, 64, 128, 256, 512, 1024, 2048],
    base_samples=20_000,
    n_features=50,
    base_hidden=64,
    batch_size=200,
)
QUICK = dict(
    n_samples=[500, 1_000, 2_000],
    hidden=[16, 32, 64],
    base_samples=2_000,
    n_features=20,
    base_hidden=32,
    batch_size=200,
)


def sweep_points(cfg):
    """(sweep name, x value, n_samples, hidden width) for every point."""
    points = [("n_samples", n, n, cfg["base_hidden"]) for n in cfg["n_samples"]]
    points += [("hidden", h, cfg["base_samples"], h) for h in cfg["hidden"]]
    return points


def table(results, names):
    headers = ["sweep", "n_samples", "hidden"] + [f"{n} ms/epoch" for n in names]
    headers += [f"{n} / skreg" for n in names if n != "skreg"]
    rows = []
    for r in results:
        t = r["seconds_per_epoch"]
        rows.append(
            [r["sweep"], r["n_samples"], r["hidden"]]
            + [C.fmt(1e3 * t[n]) for n in names]
            + [C.fmt(t[n] / t["skreg"]) for n in names if n != "skreg"]
        )
    return C.markdown_table(headers, rows)


def plot(results, names, path, title):
    """Two log-log panels; returns False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, sweep, label in zip(
        axes, ("n_samples", "hidden"), ("n_samples", "hidden units (one layer)")
    ):
        points = [r for r in results if r["sweep"] == sweep]
        for name in names:
            # A noisy (quick) run can give a non-positive difference: not plotted.
            xy = [
                (r["x"], 1e3 * r["seconds_per_epoch"][name])
                for r in points
                if r["seconds_per_epoch"][name] > 0
            ]
            ax.plot([x for x, _ in xy], [t for _, t in xy], "o-", label=name)
        ax.set_xscale("log", base=2 if sweep == "hidden" else 10)
        ax.set_yscale("log")
        ax.set_xticks([r["x"] for r in points], [str(r["x"]) for r in points])
        ax.minorticks_off()
        ax.set_xlabel(label)
        ax.set_ylabel("ms per epoch")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def title(cfg, dtype):
    return (
        f"Time per epoch, {dtype}, {cfg['n_features']} features, batch "
        f"{cfg['batch_size']}; left: hidden {cfg['base_hidden']}; right: "
        f"{cfg['base_samples']} samples"
    )


def render(payload, png_name="bench_scaling.png"):
    s = payload["settings"]
    how = (
        f"{s['processes']} processes x {s['values']} values"
        if "processes" in s
        else f"{s['repeats']} to {s['max_repeats']} repeats"
    )
    return "\n\n".join(
        [
            f"### Scaling ({title(s, s['dtype'])}; median of {how})",
            table(payload["results"], s["estimators"]),
            f"![scaling plot]({png_name})" if payload["plot"] else "(matplotlib missing: no plot)",
        ]
    )


def add_options(parser):
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--no-torch", action="store_true")


def main():
    runner, args = H.runner(__doc__, "small sweep, one process", add_options, **RUNNER_DEFAULTS)
    if args.report_only:
        return H.report("bench_scaling", render)
    C.silence_convergence_warnings()
    cfg = QUICK if args.quick else FULL
    args.only, args.activation = None, "relu"
    names = estimator_names(args)
    results, benches = [], []
    for sweep, x, n_samples, width in sweep_points(cfg):
        shape = (n_samples, cfg["n_features"], (width,), cfg["batch_size"])
        label = f"{sweep}={x} {args.dtype}"
        points = {n: bench_epochs(runner, label, n, shape, args.dtype) for n in names}
        benches += points.values()
        if not H.is_worker(runner):
            medians = {n: b.median() for n, b in points.items()}
            timings = {n: H.stats(b) for n, b in points.items()}
            row = dict(sweep=sweep, x=x, n_samples=n_samples, hidden=width)
            results.append({**row, "seconds_per_epoch": medians, "timings": timings})
    if H.is_worker(runner):
        return 0
    settings = {"processes": args.processes, "values": args.values, "dtype": args.dtype}
    settings.update(cfg, estimators=names)
    png = C.results_path("bench_scaling", args.quick, ".png")
    plotted = plot(results, names, png, title(cfg, args.dtype))
    payload = {"settings": settings, "results": results, "plot": str(png) if plotted else None}
    wrote = [png] if plotted else []
    return H.publish("bench_scaling", args, payload, render(payload), benches, wrote)


if __name__ == "__main__":
    sys.exit(main())
