"""Training that gets faster as it gets sparser: epochs and ``predict_proba``
with the active set (skreg's default) against every feature or unit.

Start networks: one whose adaptive input ``group_alpha`` (bisected) keeps
10-20 % of the features, and ``HIDDEN_CASES``, whose penalty zeroed most
hidden units; from each (pickled for pyperf's workers), ``epochs`` more
epochs with the active set and without, their weights compared.

Usage: python benchmarks/bench_sparse.py [--quick] [--report-only]
"""

import argparse
import contextlib
import copy
import pickle
import shutil
import sys
import tempfile
from pathlib import Path

import _harness as H
import numpy as np

import _common as C

FULL = dict(n_train=10_000, n_predict=20_000, n_features=500, n_informative=50)
FULL.update(hidden=(256,), select_epochs=100, epochs=10, dtypes=("float64", "float32"))
QUICK = dict(n_train=2_000, n_predict=2_000, n_features=200, n_informative=20)
QUICK.update(hidden=(64,), select_epochs=10, epochs=3, dtypes=("float64",))
HIDDEN_FULL = dict(FULL, n_features=100, n_informative=20, select_epochs=30)
del HIDDEN_FULL["hidden"]
HIDDEN_QUICK = dict(HIDDEN_FULL, n_train=2_000, n_predict=2_000, epochs=3, dtypes=("float64",))
# name: (hidden layers (full run, quick run), estimator parameters)
HIDDEN_CASES = {
    "L1 and group lasso": (
        ((256, 256), (64, 64)),
        dict(penalty="l1", alpha=1e-4, group_alpha=[0.0, 1e-3, 1e-3]),
    ),
    "group lasso alone": (((512,), (128,)), dict(group_alpha=[0.0, 3e-3])),
}
KEPT_SHARE = (0.10, 0.20)
SPEEDUP_TARGET = 3.0


def problem(cfg, dtype):
    from sklearn.datasets import make_classification
    from sklearn.preprocessing import StandardScaler

    X, y = make_classification(
        cfg["n_train"] + cfg["n_predict"], cfg["n_features"], n_informative=cfg["n_informative"],
        n_redundant=0, n_clusters_per_class=1, flip_y=0.0, shuffle=False, random_state=C.SEED,
    )  # fmt: skip
    # shuffle=False keeps the informative features first, and the rows
    # sorted by class: shuffle the rows
    rows = np.random.default_rng(C.SEED).permutation(len(y))
    X, y = X[rows], y[rows]
    X = StandardScaler().fit_transform(X).astype(dtype)
    n = cfg["n_train"]
    return X[:n], y[:n], np.ascontiguousarray(X[n:])


def network(hidden, epochs, **params):
    from skreg import RegularizedMLPClassifier

    return RegularizedMLPClassifier(
        hidden, batch_size=200, max_iter=epochs, tol=0.0, n_iter_no_change=C.NEVER_STOP,
        random_state=C.SEED, **params,
    )  # fmt: skip


def group_network(cfg, group_alpha, epochs, group_weights=None):
    group_alpha = [group_alpha] + [0.0] * len(cfg["hidden"])
    return network(cfg["hidden"], epochs, group_alpha=group_alpha, group_weights=group_weights)


def select(cfg, X, y):
    """``(network keeping 10-20 % of the features, its group_alpha, [(rate, kept)])``."""
    from skreg._path import adaptive_group_weights

    weights = adaptive_group_weights(group_network(cfg, 0.0, 30).fit(X, y))
    tried = []
    dense_side, sparse_side = None, None  # rates that kept too many, too few
    rate = 1e-3
    for _ in range(12):
        est = group_network(cfg, rate, cfg["select_epochs"], weights).fit(X, y)
        share = est.n_features_selected_ / X.shape[1]
        tried.append((rate, int(est.n_features_selected_)))
        if KEPT_SHARE[0] <= share <= KEPT_SHARE[1]:
            return est, rate, tried
        if share > KEPT_SHARE[1]:
            dense_side = rate
        else:
            sparse_side = rate
        if dense_side is None or sparse_side is None:  # one side still unknown
            rate = dense_side * 2 if sparse_side is None else sparse_side / 2
        else:  # bisect in log scale
            rate = float(np.sqrt(dense_side * sparse_side))
    raise RuntimeError(f"no rate kept 10-20 % of the features: {tried}")


@contextlib.contextmanager
def skipping(on):
    # a share threshold above 1 turns the active set off
    import skreg._active_set as A

    saved = A.MIN_REMOVED_SHARE
    A.MIN_REMOVED_SHARE = saved if on else 2.0
    try:
        yield
    finally:
        A.MIN_REMOVED_SHARE = saved


def continue_training(start, X, y, epochs):
    return copy.deepcopy(start).set_params(warm_start=True, max_iter=epochs).fit(X, y)


def continuations(start, X, y, epochs):
    models = {}
    for mode in ("skipping", "every feature"):
        with skipping(mode == "skipping"):
            models[mode] = continue_training(start, X, y, epochs)
    return models


def bench_modes(runner, start_file, label, n_epochs):
    """pyperf benchmarks of the epochs and predict_proba per mode, from ``start_file``."""
    benches = {}
    for mode in ("skipping", "every feature"):

        def continuation(mode=mode):
            start, X, y, X_new, cfg = pickle.loads(Path(start_file).read_bytes())

            def call():
                with skipping(mode == "skipping"):
                    return continue_training(start, X, y, cfg["epochs"])

            return call, X_new

        def predict(mode=mode):
            call, X_new = continuation(mode)
            est = call()

            def run():  # prediction too leaves out what the active set removed
                with skipping(mode == "skipping"):
                    return est.predict_proba(X_new)

            return run

        # the epochs: pyperf's warm-up value takes the worker's first compile
        epochs = H.calls_time_func(lambda c=continuation: c()[0], warm=False)
        name = f"{label} epoch, {mode}"
        benches[mode] = runner.bench_time_func(name, epochs, inner_loops=n_epochs)
        name = f"{label} predict, {mode}"
        benches[f"predict {mode}"] = runner.bench_time_func(name, H.calls_time_func(predict))
    return benches


def timings(benches, models):
    skip, full = models["skipping"], models["every feature"]
    difference = max(float(np.max(np.abs(a - b))) for a, b in zip(skip.coefs_, full.coefs_))
    modes = ("skipping", "every feature")
    return {
        "max_weight_difference": difference,
        "final_objective": {m: float(models[m].loss_curve_[-1]) for m in models},
        "seconds_per_epoch": {m: benches[m].median() for m in modes},
        "predict_seconds": {m: benches[f"predict {m}"].median() for m in modes},
        "stats": {name: H.stats(b) for name, b in benches.items()},
    }


def start_features(cfg, dtype):
    X, y, X_new = problem(cfg, dtype)
    start, rate, tried = select(cfg, X, y)
    informative = int(np.sum(start.feature_importances_[: cfg["n_informative"]] > 0))
    info = dict(dtype=dtype, group_alpha=rate, rates_tried=tried)
    info.update(features_kept_at_start=int(start.n_features_selected_))
    info.update(informative_kept_at_start=informative)
    return info, (start, X, y, X_new)


def hidden_units_in_use(est):
    return [int(np.sum(np.any(W != 0, axis=1))) for W in est.coefs_[1:]]


def start_hidden(cfg, case, quick, dtype):
    widths, params = HIDDEN_CASES[case]
    hidden = widths[1] if quick else widths[0]
    X, y, X_new = problem(cfg, dtype)
    start = network(hidden, cfg["select_epochs"], **params).fit(X, y)
    info = dict(case=case, hidden=hidden, parameters=params, dtype=dtype)
    info.update(units_in_use_at_start=hidden_units_in_use(start))
    info.update(training_accuracy=float(start.score(X, y)))
    return info, (start, X, y, X_new)


def measure(runner, args, kind, cfg, dtype, case=None):
    """One row: the start network and comparison (parent), the benchmarks (both)."""
    path = Path(args.start_dir) / f"{kind}-{case}-{dtype}.pkl"
    if not H.is_worker(runner):
        if kind == "features":
            info, (start, X, y, X_new) = start_features(cfg, dtype)
        else:
            info, (start, X, y, X_new) = start_hidden(cfg, case, args.quick, dtype)
        path.write_bytes(pickle.dumps((start, X, y, X_new, cfg)))
    benches = bench_modes(runner, path, f"{kind} {case or ''} {dtype}", cfg["epochs"])
    if H.is_worker(runner):
        return None, benches.values()
    models = continuations(start, X, y, cfg["epochs"])
    if kind == "features":
        info["features_kept_after"] = {m: int(models[m].n_features_selected_) for m in models}
    else:
        info["units_in_use_after"] = {m: hidden_units_in_use(models[m]) for m in models}
    return {**info, **timings(benches, models)}, benches.values()


def speed_cells(r):
    epoch, predict = r["seconds_per_epoch"], r["predict_seconds"]
    full, skip = epoch["every feature"], epoch["skipping"]
    cells = [C.fmt(1e3 * full), C.fmt(1e3 * skip), C.fmt(full / skip)]
    full, skip = predict["every feature"], predict["skipping"]
    cells += [C.fmt(1e3 * full), C.fmt(1e3 * skip), C.fmt(full / skip)]
    objectives = " / ".join(f"{v:.4g}" for v in r["final_objective"].values())
    return cells + [f"{r['max_weight_difference']:.1e}", objectives]


def speed_headers(cfg, skipped="every feature"):
    pair = f"(skipping / {skipped})"
    out = [f"ms per epoch, {skipped}", "ms per epoch, skipping", "speed-up"]
    out += [f"predict ms ({cfg['n_predict']} rows), {skipped}", "predict ms, skipping"]
    return out + ["predict speed-up", "largest weight difference", f"objective after {pair}"]


def table(results, cfg):
    rows = []
    for r in results:
        epoch = r["seconds_per_epoch"]
        cells = speed_cells(r)
        speedup = epoch["every feature"] / epoch["skipping"]
        cells[2] = f"{'met' if speedup >= SPEEDUP_TARGET else 'MISSED'} ({speedup:.3g})"
        kept = f"{r['features_kept_at_start']} ({r['informative_kept_at_start']} informative)"
        after = " / ".join(str(v) for v in r["features_kept_after"].values())
        rows.append([r["dtype"], f"{r['group_alpha']:.3g}", kept, after, *cells])
    headers = ["dtype", "group_alpha", "features kept at the start"]
    headers += ["kept after (skipping / every feature)", *speed_headers(cfg)]
    headers[6] = f"speed-up (target {SPEEDUP_TARGET:g}x)"
    return C.markdown_table(headers, rows)


def hidden_table(results, cfg):
    rows = []
    for r in results:
        start = " + ".join(str(v) for v in r["units_in_use_at_start"])
        after = [" + ".join(str(v) for v in units) for units in r["units_in_use_after"].values()]
        problem = f"{r['case']}, hidden {tuple(r['hidden'])}"
        cells = [f"{r['training_accuracy']:.3f}", start, " / ".join(after), *speed_cells(r)]
        rows.append([problem, r["dtype"], *cells])
    headers = ["problem", "dtype", "training accuracy at the start"]
    headers += ["hidden units in use at the start", "in use after (skipping / every unit)"]
    return C.markdown_table(headers + speed_headers(cfg, "every unit"), rows)


def render(p):
    cfg, hidden_cfg = p["settings"], p["hidden_settings"]
    how = cfg.get("repeats") or f"pyperf values, {cfg['processes']} processes"
    return "\n\n".join(
        [
            f"### Sparse training: epochs after group-lasso selection ({cfg['n_features']} "
            f"features, {cfg['n_informative']} informative; {cfg['n_train']} rows; hidden "
            f"{tuple(cfg['hidden'])}; median of {how})",
            table(p["results"], cfg),
            f"Each run: {cfg['epochs']} more Adam epochs from the same selected network "
            f"(selected by {cfg['select_epochs']} epochs at a group_alpha found by "
            "bisection, keeping 10-20 % of the features). 'every feature' turns the "
            "active set off. The largest weight difference compares the two continuations.",
            "### Sparse training: epochs after the penalty removed hidden units "
            f"({hidden_cfg['n_features']} features; {hidden_cfg['n_train']} rows; median of {how})",
            hidden_table(p["hidden_results"], hidden_cfg),
            f"Each run: {hidden_cfg['epochs']} more Adam epochs from a network trained "
            f"{hidden_cfg['select_epochs']} epochs; L1 and group lasso: alpha=1e-4 (L1) on "
            "every weight matrix and group_alpha=1e-3 on the hidden layers' outgoing rows; "
            "group lasso alone: group_alpha=3e-3 on the hidden layer's outgoing rows, the "
            "default L2. A unit is in use while any of its outgoing weights is non-zero.",
        ]
    )


def add_options(parser):
    parser.add_argument("--start-dir", help=argparse.SUPPRESS)  # the parent's pickles


def main():
    runner, args = H.runner(__doc__, "small problem, one process", add_options, processes=3)
    if args.report_only:
        return H.report("bench_sparse", render)
    C.silence_convergence_warnings()
    cfg = dict(QUICK if args.quick else FULL)
    hidden_cfg = dict(HIDDEN_QUICK if args.quick else HIDDEN_FULL)
    if not H.is_worker(runner):
        args.start_dir = tempfile.mkdtemp(prefix="skreg_bench_sparse_")
    results, hidden, benches = [], [], []
    for dtype in cfg["dtypes"]:
        row, more = measure(runner, args, "features", cfg, dtype)
        results.append(row)
        benches += more
    for case in HIDDEN_CASES:
        for dtype in hidden_cfg["dtypes"]:
            row, more = measure(runner, args, "hidden", hidden_cfg, dtype, case)
            hidden.append(row)
            benches += more
    if H.is_worker(runner):
        return 0
    shutil.rmtree(args.start_dir)
    for c in (cfg, hidden_cfg):
        c.update(processes=args.processes, values=args.values)
    payload = dict(settings=cfg, results=results, hidden_settings=hidden_cfg)
    payload["hidden_cases"] = {name: list(case) for name, case in HIDDEN_CASES.items()}
    payload["hidden_results"] = hidden
    return H.publish("bench_sparse", args, payload, render(payload), benches)


if __name__ == "__main__":
    sys.exit(main())
