"""Where a second BLAS thread pays: time per epoch of skreg with one and with
two BLAS threads, over the size of a batch's largest matrix product.

skreg gives a fit more than one BLAS thread only when the largest product of
a batch has at least ``skreg._threads.MIN_MACS_FOR_THREADS`` multiply-adds
(and the machine is idle, and no other skreg fit runs).  This script measures
where that line should be.  "1 thread" runs the fit inside
``threadpool_limits(1)``; "2 threads" sets the threshold to 0, so that the
policy takes both cores on the idle machine.

Time per epoch is ``(t_long - t_short) / (long - short)``, each the median of
``repeats`` fits, the two thread counts alternating; the idle gate waits for
quiet CPUs before each fit.

Usage::

    python benchmarks/bench_threads.py            # full run, about 5 minutes
    python benchmarks/bench_threads.py --quick    # smoke test
"""

import sys

import _common as C

FULL = dict(
    n_samples=5000,
    n_features=100,
    hidden=[(64,), (256,), (512,), (1024,), (2048,)],
    batches=[32, 200],
    dtypes=("float64", "float32"),
    short=1,
    long=4,
    repeats=3,
)
QUICK = dict(
    n_samples=500,
    n_features=20,
    hidden=[(16,), (64,)],
    batches=[200],
    dtypes=("float64",),
    short=1,
    long=2,
    repeats=1,
)
# Two threads "pay" when they take at most this share of one thread's time.
PAYS = 0.9


def largest_product(n_features, hidden, batch):
    units = [n_features, *hidden, 1]
    return batch * max(a * b for a, b in zip(units[:-1], units[1:]))


def fit_seconds(X, y, hidden, batch, epochs, threads):
    from threadpoolctl import threadpool_limits

    import skreg._threads as T

    est = C.make_estimator("skreg", hidden, batch, epochs)
    saved = T.MIN_MACS_FOR_THREADS
    try:
        if threads == 1:
            with threadpool_limits(limits=1, user_api="blas"):
                return C.timed(est.fit, X, y)
        T.MIN_MACS_FOR_THREADS = 0
        return C.timed(est.fit, X, y)
    finally:
        T.MIN_MACS_FOR_THREADS = saved


def per_epoch(cfg, X, y, hidden, batch, gate):
    """{threads: seconds per epoch} for 1 and 2 threads."""
    fit_seconds(X, y, hidden, batch, 1, 2)  # compile, warm the caches
    runs = {(t, e): [] for t in (1, 2) for e in (cfg["short"], cfg["long"])}
    for _ in range(cfg["repeats"]):
        for threads in (1, 2):
            for epochs in (cfg["short"], cfg["long"]):
                gate.wait()
                runs[threads, epochs].append(fit_seconds(X, y, hidden, batch, epochs, threads))
    return {
        t: C.epoch_time_from_pair(
            C.median(runs[t, cfg["short"]]),
            C.median(runs[t, cfg["long"]]),
            cfg["short"],
            cfg["long"],
        )
        for t in (1, 2)
    }


def measure(cfg, gate):
    results = []
    for dtype in cfg["dtypes"]:
        X, y = C.classification_data(cfg["n_samples"], cfg["n_features"], dtype)
        for hidden in cfg["hidden"]:
            for batch in cfg["batches"]:
                seconds = per_epoch(cfg, X, y, hidden, batch, gate)
                result = {
                    "dtype": dtype,
                    "hidden": list(hidden),
                    "batch_size": batch,
                    "largest_product_macs": largest_product(cfg["n_features"], hidden, batch),
                    "seconds_per_epoch": seconds,
                    "two_over_one": seconds[2] / seconds[1],
                }
                print(
                    f"{dtype} hidden {hidden} batch {batch}: 1 thread "
                    f"{1e3 * seconds[1]:.2f} ms, 2 threads {1e3 * seconds[2]:.2f} ms",
                    flush=True,
                )
                results.append(result)
    return results


def threshold(results):
    """The smallest largest-product size from which two threads pay on every
    measured configuration at least as large (None if they never do)."""
    ordered = sorted(results, key=lambda r: r["largest_product_macs"])
    for i, r in enumerate(ordered):
        if all(later["two_over_one"] <= PAYS for later in ordered[i:]):
            return r["largest_product_macs"]
    return None


def table(results):
    rows = [
        [
            r["dtype"],
            str(tuple(r["hidden"])),
            r["batch_size"],
            f"{r['largest_product_macs'] / 1e6:.3g}",
            C.fmt(1e3 * r["seconds_per_epoch"][1]),
            C.fmt(1e3 * r["seconds_per_epoch"][2]),
            C.fmt(r["two_over_one"]),
        ]
        for r in sorted(results, key=lambda r: (r["dtype"], r["largest_product_macs"]))
    ]
    headers = [
        "dtype",
        "hidden",
        "batch",
        "largest product (M multiply-adds)",
        "1 thread ms/epoch",
        "2 threads ms/epoch",
        "2 threads / 1 thread",
    ]
    return C.markdown_table(headers, rows)


def parse_args(argv=None):
    parser = C.bench_parser(__doc__, "small problem, no idle wait", idle_budget=300.0)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg, info, gate = C.begin(args, FULL, QUICK)
    results = measure(cfg, gate)
    line = threshold(results)
    import skreg._threads as T

    markdown = "\n\n".join(
        [
            f"### One or two BLAS threads ({cfg['n_samples']} x {cfg['n_features']}, Adam; "
            f"median of {cfg['repeats']})",
            table(results),
            "Two threads pay (at most "
            f"{PAYS:g} of one thread's time) from a largest product of "
            + ("never" if line is None else f"{line / 1e6:.3g} M multiply-adds")
            + f" on; skreg's threshold is {T.MIN_MACS_FOR_THREADS / 1e6:.3g} M.",
            C.gate_caption(gate),
            C.machine_caption(info),
        ]
    )
    payload = {
        "benchmark": "bench_threads",
        "quick": args.quick,
        "machine": info,
        "idle_gate": gate.report(),
        "settings": cfg,
        "results": results,
        "threshold_macs": line,
        "skreg_threshold_macs": T.MIN_MACS_FOR_THREADS,
    }
    return C.publish("bench_threads", args.quick, payload, markdown)


if __name__ == "__main__":
    sys.exit(main())
