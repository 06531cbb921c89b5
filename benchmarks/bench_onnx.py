"""Prediction latency of a skreg classifier exported to ONNX: onnxruntime
against skreg's own predict_proba, for a network trained with L1 and group
lasso ("dense") and the same network after ``prune()``.  Needs the onnx extra.

Usage: python benchmarks/bench_onnx.py [--quick] [--report-only]
"""

import copy
import functools
import importlib
import sys

import _harness as H
import numpy as np

import _common as C

FULL = dict(n_train=10_000, n_test=2_000, n_features=50, hidden=(256, 128))
FULL.update(group_alpha=1e-4, alpha=1e-4, epochs=30, batch_rows=10_000)
# Quick: fewer optimizer steps, so a larger group_alpha to prune anything.
QUICK = dict(FULL, n_train=2_000, n_test=500, n_features=20, hidden=(64, 32))
QUICK.update(group_alpha=1e-3, epochs=10, batch_rows=2_000)
DTYPE = np.float32


@functools.cache
def train(quick):
    from skreg import RegularizedMLPClassifier

    cfg = QUICK if quick else FULL
    n = cfg["n_train"] + cfg["n_test"]
    X, y = C.classification_data(n, cfg["n_features"], DTYPE)
    X_train, y_train = X[: cfg["n_train"]], y[: cfg["n_train"]]
    X_test, y_test = X[cfg["n_train"] :], y[cfg["n_train"] :]
    params = dict(penalty="l1", alpha=cfg["alpha"], group_alpha=cfg["group_alpha"])
    params.update(max_iter=cfg["epochs"], batch_size=200, random_state=C.SEED)
    dense = RegularizedMLPClassifier(cfg["hidden"], **params).fit(X_train, y_train)
    pruned = copy.deepcopy(dense).prune()
    return {"dense": dense, "pruned": pruned}, X_test, y_test


def session_for(est, X):
    import onnxruntime

    from skreg.onnx import to_onnx

    model_bytes = to_onnx(est, X[:1], zipmap=False).SerializeToString()
    session = onnxruntime.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    return session, len(model_bytes)


def describe(est, X_test, y_test):
    zeros = float(np.mean(np.concatenate([W.ravel() == 0 for W in est.coefs_])))
    out = dict(hidden_units=[W.shape[1] for W in est.coefs_[:-1]], zero_weight_fraction=zeros)
    out.update(weights=int(sum(W.size for W in est.coefs_)))
    return {**out, "test_accuracy": float(est.score(X_test, y_test))}


def inputs(X_test, batch_rows):
    rng = np.random.RandomState(C.SEED)
    batch = np.ascontiguousarray(X_test[rng.randint(0, len(X_test), batch_rows)])
    return {"1": np.ascontiguousarray(X_test[:1]), str(batch_rows): batch}


@functools.cache
def cached_session(quick, model):
    """One session per model and worker (pyperf calls the time function once per value)."""
    models, X_test, _ = train(quick)
    return session_for(models[model], X_test)[0]


def bench_latency(runner, quick, model, engine, rows):
    def make_call():
        models, X_test, _ = train(quick)
        X = inputs(X_test, (QUICK if quick else FULL)["batch_rows"])[rows]
        if engine == "skreg":
            return functools.partial(models[model].predict_proba, X)
        return functools.partial(cached_session(quick, model).run, None, {"X": X})

    return runner.bench_time_func(f"{model} {engine} {rows} row(s)", H.calls_time_func(make_call))


def latency_table(models_info, timings, batch_rows):
    rows = []
    for name, info in models_info.items():
        t = {key: v["seconds"] for key, v in timings[name].items() if isinstance(v, dict)}
        one_ort, one_sk = t["onnxruntime/1"], t["skreg/1"]
        many_ort, many_sk = t[f"onnxruntime/{batch_rows}"], t[f"skreg/{batch_rows}"]
        model = [name, "x".join(map(str, info["hidden_units"])), info["weights"]]
        model += [f"{info['test_accuracy']:.3f}", f"{timings[name]['onnx_bytes'] / 1024:.0f}"]
        ones = [C.fmt(1e6 * one_ort), C.fmt(1e6 * one_sk), C.fmt(one_sk / one_ort)]
        many = [C.fmt(1e3 * many_ort), C.fmt(1e3 * many_sk), C.fmt(many_sk / many_ort)]
        rows.append(model + ones + many)
    headers = ["model", "hidden units", "weights", "test accuracy", "ONNX KiB"]
    headers += ["onnxruntime us (1 row)", "skreg us (1 row)", "skreg / onnxruntime"]
    headers += [f"onnxruntime ms ({batch_rows} rows)", f"skreg ms ({batch_rows} rows)"]
    return C.markdown_table(headers + ["skreg / onnxruntime"], rows)


def render(p):
    cfg, timings = p["settings"], p["timings"]
    diffs = ", ".join(f"{n} {t['max_probability_difference']:.1e}" for n, t in timings.items())
    if "processes" in cfg:
        how = f"median of pyperf values, {cfg['processes']} processes x {cfg['values']}"
    else:
        how = f"median of {cfg['repeats']}; one row: {cfg['single_row_calls']} calls per repeat"
    return "\n\n".join(
        [
            f"### ONNX export: prediction latency ({cfg['n_features']} features, float32, {how})",
            latency_table(p["models"], timings, cfg["batch_rows"]),
            f"Trained with penalty='l1', alpha={cfg['alpha']}, group_alpha={cfg['group_alpha']}, "
            f"{cfg['epochs']} Adam epochs on {cfg['n_train']} rows; accuracy on {cfg['n_test']} "
            f"held-out rows. skreg times predict_proba; onnxruntime runs the exported model "
            f"(labels and probabilities, zipmap=False) with default session options. Largest "
            f"difference between their probabilities: {diffs}.",
        ]
    )


def main():
    runner, args = H.runner(__doc__, "small network and data, one process", processes=3, values=5)
    if args.report_only:
        return H.report("bench_onnx", render)
    C.silence_convergence_warnings()
    cfg = dict(QUICK if args.quick else FULL)
    benches = {
        (model, f"{engine}/{rows}"): bench_latency(runner, args.quick, model, engine, rows)
        for model in ("dense", "pruned")
        for engine in ("onnxruntime", "skreg")
        for rows in ("1", str(cfg["batch_rows"]))
    }
    if H.is_worker(runner):
        return 0
    models, X_test, y_test = train(args.quick)
    batch = inputs(X_test, cfg["batch_rows"])[str(cfg["batch_rows"])]
    timings = {}
    for name, est in models.items():
        session, size = session_for(est, X_test)
        _, proba = session.run(None, {"X": batch})
        diff = float(np.max(np.abs(proba - est.predict_proba(batch))))
        timings[name] = {"onnx_bytes": size, "max_probability_difference": diff}
    for (model, key), bench in benches.items():
        timings[model][key] = {"seconds": bench.median(), **H.stats(bench)}
    names = ("onnx", "onnxruntime", "skl2onnx")
    args.machine["versions"].update({n: importlib.import_module(n).__version__ for n in names})
    cfg.update(processes=args.processes, values=args.values)
    models_info = {name: describe(est, X_test, y_test) for name, est in models.items()}
    payload = {"settings": cfg, "models": models_info, "timings": timings}
    return H.publish("bench_onnx", args, payload, render(payload), benches.values())


if __name__ == "__main__":
    sys.exit(main())
