"""skreg against scikit-learn's MLP on shapes and settings that ``bench_fit.py``
does not time: one sample per batch, many classes, a deep narrow network,
the tanh and logistic activations, a wide float32 input, several regression
outputs, a large batch, SGD and L-BFGS.

Each case: the whole fit of ``max_iter`` epochs (no stopping rule) on random
data, after a small fit that compiles skreg's kernels; the median of three
fits per estimator, run one after the other.  A scan for shapes where skreg's
lead is small, not a pyperf benchmark: the time includes validation and
set-up, and nothing is interleaved.

Usage: python benchmarks/other_shapes.py
"""

import os
import statistics
import sys
import time

import numpy as np

import _common as C

# (name, data: rows, columns, classes or outputs, regression, dtype; estimator settings; epochs)
CASES = [
    (
        "batch of 1",
        (2000, 20, 2, False, "float64"),
        dict(hidden_layer_sizes=(32,), batch_size=1),
        2,
    ),
    ("100 classes", (20000, 50, 100, False, "float64"), dict(hidden_layer_sizes=(128,)), 3),
    ("deep, 6 x (32,)", (20000, 20, 2, False, "float64"), dict(hidden_layer_sizes=(32,) * 6), 3),
    (
        "tanh, (256,)",
        (20000, 50, 2, False, "float64"),
        dict(hidden_layer_sizes=(256,), activation="tanh"),
        3,
    ),
    (
        "logistic, (256,)",
        (20000, 50, 2, False, "float64"),
        dict(hidden_layer_sizes=(256,), activation="logistic"),
        3,
    ),
    ("2000 columns, float32", (5000, 2000, 2, False, "float32"), dict(hidden_layer_sizes=(64,)), 3),
    (
        "regression, 10 outputs",
        (20000, 50, 10, True, "float64"),
        dict(hidden_layer_sizes=(128,)),
        3,
    ),
    (
        "batch of 5000",
        (20000, 50, 2, False, "float64"),
        dict(hidden_layer_sizes=(128,), batch_size=5000),
        10,
    ),
    (
        "SGD, (128,)",
        (20000, 50, 2, False, "float64"),
        dict(hidden_layer_sizes=(128,), solver="sgd"),
        3,
    ),
    (
        "L-BFGS, (64,)",
        (5000, 50, 2, False, "float64"),
        dict(hidden_layer_sizes=(64,), solver="lbfgs"),
        30,
    ),
]
REPEATS = 3


def random_data(rows, columns, outputs, regression, dtype):
    rng = np.random.default_rng(C.SEED)
    X = rng.standard_normal((rows, columns)).astype(dtype)
    if regression:
        return X, X[:, :3] @ np.ones((3, outputs))
    return X, rng.integers(0, outputs, rows)


def estimators(regression):
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    from skreg import RegularizedMLPClassifier, RegularizedMLPRegressor

    if regression:
        return {"skreg": RegularizedMLPRegressor, "sklearn": MLPRegressor}
    return {"skreg": RegularizedMLPClassifier, "sklearn": MLPClassifier}


def median_fit_seconds(cls, settings, X, y):
    seconds = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        cls(**settings).fit(X, y)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def main():
    C.silence_convergence_warnings()
    machine = C.machine_info()  # the load at the start
    rows = []
    for name, data, params, epochs in CASES:
        X, y = random_data(*data)
        settings = dict(
            max_iter=epochs, tol=0.0, n_iter_no_change=10**6, random_state=C.SEED, **params
        )
        pair = estimators(data[3])
        pair["skreg"](**settings).fit(X[:300], y[:300])  # compile
        times = {label: median_fit_seconds(cls, settings, X, y) for label, cls in pair.items()}
        rows.append([name, C.fmt(1e3 * times["skreg"]), C.fmt(1e3 * times["sklearn"]),
                     C.fmt(times["sklearn"] / times["skreg"])])  # fmt: skip
        print(" | ".join(rows[-1]), file=sys.stderr, flush=True)
    header = ["case", "skreg ms (whole fit)", "sklearn ms", "sklearn / skreg"]
    machine["load_average_at_end"] = list(os.getloadavg())
    caption = C.machine_caption(machine, machine.get("load_average_at_end"))
    title = f"### Other shapes and settings (median of {REPEATS} whole fits each)"
    markdown = "\n\n".join([title, C.markdown_table(header, rows), caption])
    return C.publish("other_shapes", False, {"rows": rows, "machine": machine}, markdown)


if __name__ == "__main__":
    sys.exit(main())
