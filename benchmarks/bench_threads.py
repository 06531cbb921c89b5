"""Where a second BLAS thread pays: skreg's time per epoch with one and with
two BLAS threads, over the size of a batch's largest matrix product.

Where should ``skreg._threads.MIN_MACS_FOR_THREADS`` be?  "1 thread" fits
inside ``threadpool_limits(1)``, "2 threads" with that threshold set to 0.

Usage: python benchmarks/bench_threads.py [--quick] [--report-only]
"""

import contextlib
import sys

import _harness as H
from bench_fit import RUNNER_DEFAULTS

import _common as C

FULL = dict(n_samples=5000, n_features=100, batches=[32, 200], dtypes=("float64", "float32"))
FULL["hidden"] = [(64,), (256,), (512,), (1024,), (2048,)]
QUICK = dict(
    n_samples=500, n_features=20, hidden=[(16,), (64,)], batches=[200], dtypes=("float64",)
)
# Two threads "pay" when they take at most this share of one thread's time.
PAYS = 0.9


def largest_product(n_features, hidden, batch):
    units = [n_features, *hidden, 1]
    return batch * max(a * b for a, b in zip(units[:-1], units[1:]))


def fitter(X, y, hidden, batch, threads):
    from threadpoolctl import threadpool_limits

    import skreg._threads as T

    def fit(epochs):
        est = C.make_estimator("skreg", hidden, batch, epochs)
        saved = T.MIN_MACS_FOR_THREADS
        T.MIN_MACS_FOR_THREADS = saved if threads == 1 else 0
        one = threadpool_limits(limits=1, user_api="blas") if threads == 1 else None
        try:
            with one or contextlib.nullcontext():
                return H.timed(est.fit, X, y)
        finally:
            T.MIN_MACS_FOR_THREADS = saved

    fit(1)  # compile, warm the caches
    return fit


def bench(runner, cfg, dtype, hidden, batch, threads):
    def time_func(loops):
        X, y = C.classification_data(cfg["n_samples"], cfg["n_features"], dtype)
        return H.epoch_time_func(fitter(X, y, hidden, batch, threads))(loops)

    name = f"{dtype} hidden {hidden} batch {batch}: {threads} thread(s)"
    return runner.bench_time_func(name, time_func)


def threshold(results):
    """The smallest product size from which two threads pay on every larger one (or None)."""
    ordered = sorted(results, key=lambda r: r["largest_product_macs"])
    for i, r in enumerate(ordered):
        if all(later["two_over_one"] <= PAYS for later in ordered[i:]):
            return r["largest_product_macs"]
    return None


def table(results):
    headers = ["dtype", "hidden", "batch", "largest product (M multiply-adds)"]
    headers += ["1 thread ms/epoch", "2 threads ms/epoch", "2 threads / 1 thread"]
    rows = [
        [r["dtype"], str(tuple(r["hidden"])), r["batch_size"]]
        + [f"{r['largest_product_macs'] / 1e6:.3g}"]
        + [C.fmt(1e3 * r["seconds_per_epoch"][t]) for t in "12"]
        + [C.fmt(r["two_over_one"])]
        for r in sorted(results, key=lambda r: (r["dtype"], r["largest_product_macs"]))
    ]
    return C.markdown_table(headers, rows)


def render(payload):
    import skreg._threads as T

    line = threshold(payload["results"])
    s = payload["settings"]
    how = f"{s['processes']} processes x {s['values']}" if "processes" in s else s["repeats"]
    return "\n\n".join(
        [
            f"### One or two BLAS threads ({s['n_samples']} x {s['n_features']}, Adam; "
            f"median of {how})",
            table(payload["results"]),
            f"Two threads pay (at most {PAYS:g} of one thread's time) from a largest product of "
            + ("never" if line is None else f"{line / 1e6:.3g} M multiply-adds")
            + f" on; skreg's threshold is {T.MIN_MACS_FOR_THREADS / 1e6:.3g} M.",
        ]
    )


def main():
    runner, args = H.runner(__doc__, "small problem, one process", **RUNNER_DEFAULTS)
    if args.report_only:
        return H.report("bench_threads", render)
    C.silence_convergence_warnings()
    cfg = QUICK if args.quick else FULL
    results, benches = [], []
    for dtype in cfg["dtypes"]:
        for hidden in cfg["hidden"]:
            for batch in cfg["batches"]:
                pair = {t: bench(runner, cfg, dtype, hidden, batch, t) for t in (1, 2)}
                benches += pair.values()
                if H.is_worker(runner):
                    continue
                seconds = {str(t): b.median() for t, b in pair.items()}
                macs = largest_product(cfg["n_features"], hidden, batch)
                row = dict(dtype=dtype, hidden=list(hidden), batch_size=batch)
                row.update(largest_product_macs=macs, seconds_per_epoch=seconds)
                results.append({**row, "two_over_one": seconds["2"] / seconds["1"]})
    if H.is_worker(runner):
        return 0
    settings = {"processes": args.processes, "values": args.values, **cfg}
    payload = {"settings": settings, "results": results, "threshold_macs": threshold(results)}
    return H.publish("bench_threads", args, payload, render(payload), benches)


if __name__ == "__main__":
    sys.exit(main())
