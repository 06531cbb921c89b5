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
SHORT, LONG = 1, 6
ONE_THREAD = {
    name: "1"
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
}


def timed_fit(X, y, hidden, activation, batch, epochs):
    """CPU seconds of one fit of ``epochs`` epochs (no early stop)."""
    from skreg import RegularizedMLPClassifier

    est = RegularizedMLPClassifier(
        hidden,
        activation=activation,
        batch_size=batch,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=10**6,
        random_state=0,
    )
    start = time.process_time()
    est.fit(X, y)
    return time.process_time() - start


def child(dtype, repeats, shapes):
    import warnings

    import numpy as np

    warnings.simplefilter("ignore")
    results = {}
    for n, d, hidden, batch, activation in shapes:
        rng = np.random.default_rng(0)
        X = rng.standard_normal((n, d)).astype(dtype)
        y = (X[:, 0] + X[:, 1] > 0).astype(int)
        setting = (X, y, hidden, activation, batch)
        timed_fit(*setting, SHORT)  # compiles (or loads the cache)
        short = statistics.median(timed_fit(*setting, SHORT) for _ in range(repeats))
        long = statistics.median(timed_fit(*setting, LONG) for _ in range(repeats))
        results[f"{n}x{d} {hidden} b{batch} {activation}"] = (long - short) / (LONG - SHORT)
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
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        shapes = NEW_ACTIVATION_SHAPES if args.new_activations else SHAPES
        print(json.dumps(child(args.dtype, args.repeats, shapes)))
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
                ] + (["--new-activations"] if args.new_activations else [])
                out = subprocess.run(command, env=env, capture_output=True, text=True)
                if out.returncode:
                    sys.exit(out.stderr)
                per_epoch[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
    shapes = list(per_epoch[variants[0][0]][0])
    print(f"ms per epoch ({args.dtype}, CPU time, median of {args.rounds} processes)")
    print("| variant | " + " | ".join(shapes) + " |")
    for name, _, settings in variants:
        cells = []
        for shape in shapes:
            values = [run[shape] * 1e3 for run in per_epoch[name]]
            cells.append(
                f"{statistics.median(values):.1f} ({', '.join(f'{v:.1f}' for v in values)})"
            )
        print(f"| {name} {settings or ''} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
