"""Prediction latency of a skreg classifier exported to ONNX: onnxruntime
against skreg's own predict_proba, for a dense network and the same network
pruned.

One network is trained with ``penalty="l1"`` and a ``group_alpha`` large
enough for ``prune()`` to remove most hidden units (the accuracy on held-out
rows is reported for both, and is the same: pruning changes nothing but
rounding).  "dense" is that network before ``prune()``, "pruned" after.
Each is exported with ``skreg.onnx.to_onnx`` (float32 input, ``zipmap=False``,
so onnxruntime returns tensors) and timed in one onnxruntime session with its
default settings (CPU provider, its own thread pool).

Latency for one row is a loop of calls on the same row, divided by the
number of calls; for a batch it is one call.  Each figure is the median of
repeats; each repeat waits for idle CPUs first, then makes one untimed call.
Before timing, the script checks that onnxruntime's probabilities match skreg's.

Needs the onnx extra (``pip install -e ".[onnx]"``).

Usage::

    python benchmarks/bench_onnx.py            # full run, about a minute
    python benchmarks/bench_onnx.py --quick    # smoke test
"""

import copy
import sys

import numpy as np

import _common as C

FULL = dict(
    n_train=10_000,
    n_test=2_000,
    n_features=50,
    hidden=(256, 128),
    group_alpha=1e-4,
    alpha=1e-4,
    epochs=30,
    batch_rows=10_000,
    single_row_calls=500,
    repeats=7,
)
# Quick: fewer optimizer steps, so a larger group_alpha to prune anything.
QUICK = dict(
    n_train=2_000,
    n_test=500,
    n_features=20,
    hidden=(64, 32),
    group_alpha=1e-3,
    alpha=1e-4,
    epochs=10,
    batch_rows=2_000,
    single_row_calls=50,
    repeats=2,
)
DTYPE = np.float32


def train(cfg):
    """The trained dense network, its pruned copy, and the held-out rows."""
    from skreg import RegularizedMLPClassifier

    n = cfg["n_train"] + cfg["n_test"]
    X, y = C.classification_data(n, cfg["n_features"], DTYPE)
    X_train, y_train = X[: cfg["n_train"]], y[: cfg["n_train"]]
    X_test, y_test = X[cfg["n_train"] :], y[cfg["n_train"] :]
    dense = RegularizedMLPClassifier(
        hidden_layer_sizes=cfg["hidden"],
        penalty="l1",
        alpha=cfg["alpha"],
        group_alpha=cfg["group_alpha"],
        max_iter=cfg["epochs"],
        batch_size=200,
        random_state=C.SEED,
    ).fit(X_train, y_train)
    pruned = copy.deepcopy(dense).prune()
    return {"dense": dense, "pruned": pruned}, X_test, y_test


def session_for(est, X):
    """An onnxruntime session for the estimator, and its model's size."""
    import onnxruntime

    from skreg.onnx import to_onnx

    model_bytes = to_onnx(est, X[:1], zipmap=False).SerializeToString()
    session = onnxruntime.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    return session, len(model_bytes)


def describe(est, X_test, y_test):
    return {
        "hidden_units": [W.shape[1] for W in est.coefs_[:-1]],
        "weights": int(sum(W.size for W in est.coefs_)),
        "zero_weight_fraction": float(
            np.mean(np.concatenate([W.ravel() == 0 for W in est.coefs_]))
        ),
        "test_accuracy": float(est.score(X_test, y_test)),
    }


def max_probability_difference(session, est, X):
    _, proba = session.run(None, {"X": X})
    return float(np.max(np.abs(proba - est.predict_proba(X))))


def median_latency(func, calls, repeats, gate):
    """Median over repeats of (time of ``calls`` calls) / calls, in seconds."""
    times = []
    for _ in range(repeats):
        gate.wait()
        # Untimed call: wakes the BLAS / onnxruntime threads that slept
        # during the wait (on a busy machine that alone can take
        # milliseconds), and does the first call's allocations.
        func()
        times.append(C.timed(lambda: [func() for _ in range(calls)]) / calls)
    return C.median(times), times


def measure(models, X_test, cfg, gate):
    rng = np.random.RandomState(C.SEED)
    batch = np.ascontiguousarray(X_test[rng.randint(0, len(X_test), cfg["batch_rows"])])
    one_row = np.ascontiguousarray(X_test[:1])
    out = {}
    for name, est in models.items():
        session, model_bytes = session_for(est, X_test)
        runners = {
            "onnxruntime": lambda X, s=session: s.run(None, {"X": X}),
            "skreg": lambda X, e=est: e.predict_proba(X),
        }
        entry = {
            "onnx_bytes": model_bytes,
            "max_probability_difference": max_probability_difference(session, est, batch),
        }
        for runner, run in runners.items():
            for rows, X, calls in (
                ("1", one_row, cfg["single_row_calls"]),
                (str(len(batch)), batch, 1),
            ):
                seconds, times = median_latency(
                    lambda run=run, X=X: run(X), calls, cfg["repeats"], gate
                )
                entry[f"{runner}/{rows}"] = {
                    "seconds": seconds,
                    "all_seconds": times,
                    "calls_per_repeat": calls,
                }
        out[name] = entry
    return out


def latency_table(models_info, timings, batch_rows):
    rows = []
    for name, info in models_info.items():
        t = timings[name]
        one_ort, one_sk = t["onnxruntime/1"]["seconds"], t["skreg/1"]["seconds"]
        many_ort = t[f"onnxruntime/{batch_rows}"]["seconds"]
        many_sk = t[f"skreg/{batch_rows}"]["seconds"]
        rows.append(
            [
                name,
                "x".join(map(str, info["hidden_units"])),
                info["weights"],
                f"{info['test_accuracy']:.3f}",
                f"{t['onnx_bytes'] / 1024:.0f}",
                C.fmt(1e6 * one_ort),
                C.fmt(1e6 * one_sk),
                C.fmt(one_sk / one_ort),
                C.fmt(1e3 * many_ort),
                C.fmt(1e3 * many_sk),
                C.fmt(many_sk / many_ort),
            ]
        )
    headers = [
        "model",
        "hidden units",
        "weights",
        "test accuracy",
        "ONNX KiB",
        "onnxruntime us (1 row)",
        "skreg us (1 row)",
        "skreg / onnxruntime",
        f"onnxruntime ms ({batch_rows} rows)",
        f"skreg ms ({batch_rows} rows)",
        "skreg / onnxruntime",
    ]
    return C.markdown_table(headers, rows)


def onnx_versions():
    import onnx
    import onnxruntime
    import skl2onnx

    return {
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
        "skl2onnx": skl2onnx.__version__,
    }


def parse_args(argv=None):
    parser = C.bench_parser(
        __doc__, "small network and data, two repeats, no idle wait", idle_budget=120.0
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg, info, gate = C.begin(args, FULL, QUICK)
    info["versions"].update(onnx_versions())
    models, X_test, y_test = train(cfg)
    models_info = {name: describe(est, X_test, y_test) for name, est in models.items()}
    timings = measure(models, X_test, cfg, gate)
    diffs = ", ".join(
        f"{name} {t['max_probability_difference']:.1e}" for name, t in timings.items()
    )
    markdown = "\n\n".join(
        [
            f"### ONNX export: prediction latency ({cfg['n_features']} features, float32, "
            f"median of {cfg['repeats']}; one row: {cfg['single_row_calls']} calls per repeat)",
            latency_table(models_info, timings, cfg["batch_rows"]),
            f"Trained with penalty='l1', alpha={cfg['alpha']}, group_alpha={cfg['group_alpha']}, "
            f"{cfg['epochs']} Adam epochs on {cfg['n_train']} rows; accuracy on {cfg['n_test']} "
            f"held-out rows. skreg times predict_proba; onnxruntime runs the exported model "
            f"(labels and probabilities, zipmap=False) with default session options. Largest "
            f"difference between their probabilities: {diffs}.",
            C.gate_caption(gate),
            C.machine_caption(info),
        ]
    )
    payload = {
        "benchmark": "bench_onnx",
        "quick": args.quick,
        "machine": info,
        "idle_gate": gate.report(),
        "settings": cfg,
        "models": models_info,
        "timings": timings,
    }
    return C.publish("bench_onnx", args.quick, payload, markdown)


if __name__ == "__main__":
    sys.exit(main())
