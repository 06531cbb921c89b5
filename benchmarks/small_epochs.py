"""Time per epoch on small tables, where the Python around each epoch weighs,
for copies of skreg side by side (an old and a new one, say).

On tables of a few hundred rows an epoch is one to a few minibatches, and
what the trainer does around each kernel call can cost as much as the
epoch's arithmetic.  The shapes: 200 x 20 and 300 x 100 with L2, and a wide
short table, 150 x 750, with L2 and with L1 (alpha 1e-3 each, hidden
(100,), Adam, batch 200).

Each variant runs in its own processes, on one thread (BLAS included), with
its own Numba cache; a warm-up fit compiles first.  Time per epoch is
``(t_long - t_short) / (long - short)`` in CPU seconds for fits of
``SHORT`` and ``LONG`` epochs with ``tol=0``, each the median of the
repeats; processes of the variants alternate, so that a change in the
machine's load hits them alike.  The table gives the median over processes
and, in brackets, each process's figure.

Usage::

    python benchmarks/small_epochs.py --variant old=/path/to/copy --variant new=
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

# (n_samples, n_features, penalty); hidden (100,), batch 200, Adam.
SHAPES = [(200, 20, "l2"), (300, 100, "l2"), (150, 750, "l2"), (150, 750, "l1")]
SHORT, LONG = 100, 600
ONE_THREAD = {
    name: "1"
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
}


def timed_fit(X, y, penalty, epochs):
    """CPU seconds of one fit of ``epochs`` epochs (no early stop)."""
    from skreg import RegularizedMLPClassifier

    est = RegularizedMLPClassifier(
        (100,),
        penalty=penalty,
        alpha=1e-3,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=10**6,
        random_state=0,
    )
    start = time.process_time()
    est.fit(X, y)
    return time.process_time() - start


def child(repeats):
    """Milliseconds per epoch of each shape, in this process."""
    import warnings

    import numpy as np

    warnings.simplefilter("ignore")
    results = {}
    for n, d, penalty in SHAPES:
        rng = np.random.default_rng(0)
        X = rng.standard_normal((n, d))
        y = (X[:, 0] + X[:, 1] > 0).astype(int)
        timed_fit(X, y, penalty, SHORT)  # compiles (or loads the cache)
        short = statistics.median(timed_fit(X, y, penalty, SHORT) for _ in range(repeats))
        long = statistics.median(timed_fit(X, y, penalty, LONG) for _ in range(repeats))
        results[f"{n}x{d} {penalty}"] = (long - short) / (LONG - SHORT) * 1e3
    return results


def run_variants(variants, rounds, repeats):
    """Each variant's results, one per process, the variants alternating."""
    per_epoch = {name: [] for name, _ in variants}
    with tempfile.TemporaryDirectory(prefix="skreg_small_epochs_") as root:
        for _ in range(rounds):
            for name, folder in variants:
                env = dict(os.environ, **ONE_THREAD, NUMBA_CACHE_DIR=os.path.join(root, name))
                if folder:
                    env["PYTHONPATH"] = folder
                command = [sys.executable, __file__, "--child", "--repeats", str(repeats)]
                out = subprocess.run(command, env=env, capture_output=True, text=True)
                if out.returncode:
                    sys.exit(out.stderr)
                per_epoch[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
    return per_epoch


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--variant", action="append", help="NAME=FOLDER (empty FOLDER: skreg as installed)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="processes per variant")
    parser.add_argument("--repeats", type=int, default=3, help="fits of each length per process")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.repeats)))
        return 0
    if not args.variant:
        parser.error("give at least one --variant NAME=FOLDER")
    variants = [tuple(spec.split("=", 1)) for spec in args.variant]
    per_epoch = run_variants(variants, args.rounds, args.repeats)
    shapes = list(per_epoch[variants[0][0]][0])
    print(f"ms per epoch (CPU time, median of {args.rounds} processes)")
    print("| variant | " + " | ".join(shapes) + " |")
    for name, _ in variants:
        cells = []
        for shape in shapes:
            values = [run[shape] for run in per_epoch[name]]
            listed = ", ".join(f"{v:.3f}" for v in values)
            cells.append(f"{statistics.median(values):.3f} ({listed})")
        print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
