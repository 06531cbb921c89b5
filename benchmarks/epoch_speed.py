"""Time per epoch of copies of skreg (or of Numba settings) side by side, to
check that a change made for compile time does not slow training.

Each variant runs in its own processes, on one thread (BLAS included), with
its own Numba cache; a warm-up fit compiles first.  Time per epoch is
``(t_long - t_short) / (long - short)`` in CPU seconds for two fits, each
the median of the repeats; processes of the variants alternate, so that a
change in the machine's load hits them alike.

Usage::

    python benchmarks/epoch_speed.py --variant base=/tmp/copy1 --variant new=/tmp/copy2 \\
        --variant o2=/tmp/copy2:NUMBA_OPT=2
    python benchmarks/epoch_speed.py --variant installed= --new-activations
    python benchmarks/epoch_speed.py --variant base=/tmp/copy1 --variant new= --small

``--small`` times small tables instead (a few minibatches an epoch, where
the Python around each epoch weighs), L1 beside L2 on a wide short one,
over ``SMALL_SHORT`` and ``SMALL_LONG`` epochs.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

# (n_samples, n_features, hidden_layer_sizes, batch_size, activation)
SHAPES = [
    (20000, 50, (64,), 200, "relu"),
    (20000, 50, (256,), 200, "relu"),
    (20000, 50, (64, 64), 200, "tanh"),
    (20000, 50, (256,), 200, "logistic"),
]
# The activations added after scikit-learn's four (--new-activations); a
# copy of skreg without them cannot run these.
NEW_ACTIVATION_SHAPES = [
    (20000, 50, (256,), 200, "leaky_relu"),
    (20000, 50, (256,), 200, "elu"),
    (20000, 50, (256,), 200, "softplus"),
    (20000, 50, (256,), 200, "gelu"),
]
# Small tables (--small), each with its penalty (alpha 1e-3), one to a few
# minibatches an epoch.
SMALL_SHAPES = [
    (200, 20, (100,), 200, "relu", "l2"),
    (300, 100, (100,), 200, "relu", "l2"),
    (150, 750, (100,), 200, "relu", "l2"),
    (150, 750, (100,), 200, "relu", "l1"),
]
SHORT, LONG = 1, 6
SMALL_SHORT, SMALL_LONG = 100, 600
ONE_THREAD = {
    name: "1"
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
}


def timed_fit(X, y, hidden, activation, batch, epochs, penalty=None):
    """CPU seconds of one fit of ``epochs`` epochs (no early stop); with a
    ``penalty``, at alpha 1e-3."""
    from skreg import RegularizedMLPClassifier

    est = RegularizedMLPClassifier(
        hidden,
        activation=activation,
        batch_size=batch,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=10**6,
        random_state=0,
        **({} if penalty is None else dict(penalty=penalty, alpha=1e-3)),
    )
    start = time.process_time()
    est.fit(X, y)
    return time.process_time() - start


def child(dtype, repeats, shapes, short_epochs=SHORT, long_epochs=LONG):
    import warnings

    import numpy as np

    warnings.simplefilter("ignore")
    results = {}
    for n, d, hidden, batch, activation, *penalty in shapes:
        rng = np.random.default_rng(0)
        X = rng.standard_normal((n, d)).astype(dtype)
        y = (X[:, 0] + X[:, 1] > 0).astype(int)
        setting = (X, y, hidden, activation, batch)
        timed_fit(*setting, short_epochs, *penalty)  # compiles (or loads the cache)
        short = statistics.median(
            timed_fit(*setting, short_epochs, *penalty) for _ in range(repeats)
        )
        long = statistics.median(timed_fit(*setting, long_epochs, *penalty) for _ in range(repeats))
        name = f"{n}x{d} {hidden} b{batch} {activation}" + "".join(f" {p}" for p in penalty)
        results[name] = (long - short) / (long_epochs - short_epochs)
    return results


def parse_variant(spec):
    name, rest = spec.split("=", 1)
    folder, *settings = rest.split(":")
    return name, folder or None, dict(item.split("=", 1) for item in settings)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--variant",
        action="append",
        required=True,
        help="NAME=FOLDER[:VAR=VALUE...] (empty FOLDER: as installed)",
    )
    parser.add_argument("--dtype", default="float64")
    parser.add_argument("--rounds", type=int, default=2, help="processes per variant")
    parser.add_argument("--repeats", type=int, default=3, help="fits of each length per process")
    parser.add_argument(
        "--new-activations",
        action="store_true",
        help="time leaky_relu, elu, softplus and gelu instead of scikit-learn's four",
    )
    parser.add_argument(
        "--small",
        action="store_true",
        help="time small tables (SMALL_SHAPES), where the Python around an epoch weighs",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        if args.small:
            results = child(args.dtype, args.repeats, SMALL_SHAPES, SMALL_SHORT, SMALL_LONG)
        else:
            shapes = NEW_ACTIVATION_SHAPES if args.new_activations else SHAPES
            results = child(args.dtype, args.repeats, shapes)
        print(json.dumps(results))
        return 0
    variants = [parse_variant(spec) for spec in args.variant]
    per_epoch = {name: [] for name, _, _ in variants}
    with tempfile.TemporaryDirectory(prefix="skreg_speed_") as root:
        for _ in range(args.rounds):
            for name, folder, settings in variants:
                env = dict(
                    os.environ, **ONE_THREAD, **settings, NUMBA_CACHE_DIR=os.path.join(root, name)
                )
                if folder:
                    env["PYTHONPATH"] = folder
                command = [
                    sys.executable,
                    __file__,
                    "--child",
                    "--dtype",
                    args.dtype,
                    "--variant",
                    "unused=",
                    "--repeats",
                    str(args.repeats),
                ]
                command += ["--new-activations"] if args.new_activations else []
                command += ["--small"] if args.small else []
                out = subprocess.run(command, env=env, capture_output=True, text=True)
                if out.returncode:
                    sys.exit(out.stderr)
                per_epoch[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
    shapes = list(per_epoch[variants[0][0]][0])
    digits = 3 if args.small else 1
    print(f"ms per epoch ({args.dtype}, CPU time, median of {args.rounds} processes)")
    print("| variant | " + " | ".join(shapes) + " |")
    for name, _, settings in variants:
        cells = []
        for shape in shapes:
            values = [run[shape] * 1e3 for run in per_epoch[name]]
            listed = ", ".join(f"{v:.{digits}f}" for v in values)
            cells.append(f"{statistics.median(values):.{digits}f} ({listed})")
        print(f"| {name} {settings or ''} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
