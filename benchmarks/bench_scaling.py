"""Scaling sweep: training time per epoch as n_samples grows (10^3 to 10^5)
and as the hidden width grows (16 to 2048), for skreg, scikit-learn's MLP and
(when installed) the PyTorch loop.  Writes a table, JSON and a PNG plot
(matplotlib, the ``benchmarks`` extra: ``pip install -e .[benchmarks]``).

Time per epoch is measured as in bench_fit.py (long fit minus short fit).

Usage::

    python benchmarks/bench_scaling.py            # full sweep, ~10 minutes
    python benchmarks/bench_scaling.py --quick    # smoke test
"""

import sys

from bench_fit import add_max_repeats, make_fitters, set_max_repeats, time_per_epoch

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


def measure_point(point, cfg, names, args, gate):
    sweep, x, n_samples, width = point
    X, y = C.classification_data(n_samples, cfg["n_features"], args.dtype)
    fitters = make_fitters(names, X, y, (width,), cfg["batch_size"])
    timings = time_per_epoch(fitters, args, gate)
    return {
        "sweep": sweep,
        "x": x,
        "n_samples": n_samples,
        "hidden": width,
        "seconds_per_epoch": {n: t["seconds_per_epoch"] for n, t in timings.items()},
        "timings": timings,
    }


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


def parse_args(argv=None):
    parser = C.bench_parser(__doc__, "small sweep, one repeat")
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--repeats", type=int, default=None, help="default 3, quick 1")
    parser.add_argument("--target-seconds", type=float, default=1.0)
    parser.add_argument("--min-extra", type=int, default=2)
    parser.add_argument("--max-extra", type=int, default=40)
    parser.add_argument("--no-torch", action="store_true")
    add_max_repeats(parser)
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    set_max_repeats(args)
    return args


def main(argv=None):
    args = parse_args(argv)
    cfg, info, gate = C.begin(args, FULL, QUICK)
    names = ["skreg", "sklearn"]
    if not args.no_torch and C.torch_available():
        names.append("torch")
    results = []
    for point in sweep_points(cfg):
        results.append(measure_point(point, cfg, names, args, gate))
        r = results[-1]
        print(
            f"{r['sweep']}={r['x']}: "
            + ", ".join(f"{n} {1e3 * r['seconds_per_epoch'][n]:.2f} ms" for n in names),
            flush=True,
        )
    title = (
        f"Time per epoch, {args.dtype}, {cfg['n_features']} features, batch "
        f"{cfg['batch_size']}; left: hidden {cfg['base_hidden']}; right: "
        f"{cfg['base_samples']} samples"
    )
    png = C.results_path("bench_scaling", args.quick, ".png")
    plotted = plot(results, names, png, title)
    markdown = "\n\n".join(
        [
            f"### Scaling ({title}; median of {args.repeats} to {args.max_repeats} repeats)",
            table(results, names),
            f"![scaling plot]({png.name})" if plotted else "(matplotlib missing: no plot)",
            C.gate_caption(gate),
            C.machine_caption(info),
        ]
    )
    payload = {
        "benchmark": "bench_scaling",
        "quick": args.quick,
        "machine": info,
        "idle_gate": gate.report(),
        "settings": {**vars(args), **cfg, "estimators": names},
        "results": results,
        "plot": str(png) if plotted else None,
    }
    return C.publish(
        "bench_scaling", args.quick, payload, markdown, also_wrote=[png] if plotted else []
    )


if __name__ == "__main__":
    sys.exit(main())
