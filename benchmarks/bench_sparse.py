"""Training that gets faster as it gets sparser: the epochs after group lasso
has removed most input features, with the active set (skreg's default)
against training every feature, and prediction likewise.

The problem: ``make_classification`` with 500 features, the first 50
informative (``n_redundant=0``, one cluster per class, no flipped labels,
``shuffle=False``), 10 000 training rows,
standardized; hidden layer (256,), Adam, batch 200, ``group_alpha`` on the
input layer only, with adaptive group weights (from a fit without penalty,
as ``group_weights="adaptive"`` computes them along a path).  Selection:
fits of ``select_epochs`` epochs, bisecting ``group_alpha`` in log scale
until one keeps 10 to 20 % of the features; that network is the start.  The kept set needs
that long to settle, and still grows slowly as the network fits the training
data closer (features whose gradient reaches the threshold come back).

Timing: from deep copies of it, ``epochs`` more epochs (``warm_start=True``,
a stopping rule that never fires) with skipping and without
(``skreg._active_set.MIN_REMOVED_SHARE`` set above 1, which turns the active
set off), alternating, each the median of ``repeats`` runs after waiting for
idle CPUs.  Both continuations are compared weight by weight: the active set
changes them only by rounding while no feature comes back; a feature near
its threshold can come back in one run and not in the other (reported).
``predict_proba`` on 20 000 rows is timed the same way.

Usage::

    python benchmarks/bench_sparse.py            # full run, about two minutes
    python benchmarks/bench_sparse.py --quick    # smoke test
"""

import copy
import sys

import numpy as np

import _common as C

FULL = dict(
    n_train=10_000,
    n_predict=20_000,
    n_features=500,
    n_informative=50,
    hidden=(256,),
    select_epochs=100,
    epochs=10,
    repeats=5,
    dtypes=("float64", "float32"),
)
QUICK = dict(
    n_train=2_000,
    n_predict=2_000,
    n_features=200,
    n_informative=20,
    hidden=(64,),
    select_epochs=10,
    epochs=3,
    repeats=2,
    dtypes=("float64",),
)
KEPT_SHARE = (0.10, 0.20)
SPEEDUP_TARGET = 3.0


def problem(cfg, dtype):
    from sklearn.datasets import make_classification
    from sklearn.preprocessing import StandardScaler

    X, y = make_classification(
        n_samples=cfg["n_train"] + cfg["n_predict"],
        n_features=cfg["n_features"],
        n_informative=cfg["n_informative"],
        n_redundant=0,
        n_clusters_per_class=1,
        flip_y=0.0,
        shuffle=False,
        random_state=C.SEED,
    )
    # shuffle=False keeps the informative features first, and the rows
    # sorted by class: shuffle the rows
    rows = np.random.default_rng(C.SEED).permutation(len(y))
    X, y = X[rows], y[rows]
    X = StandardScaler().fit_transform(X).astype(dtype)
    n = cfg["n_train"]
    return X[:n], y[:n], np.ascontiguousarray(X[n:])


def network(cfg, group_alpha, epochs, group_weights=None):
    from skreg import RegularizedMLPClassifier

    return RegularizedMLPClassifier(
        hidden_layer_sizes=cfg["hidden"],
        group_alpha=[group_alpha] + [0.0] * len(cfg["hidden"]),
        group_weights=group_weights,
        batch_size=200,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=C.NEVER_STOP,
        random_state=C.SEED,
    )


def select(cfg, X, y):
    """A network that keeps 10 to 20 % of the features, its rate found by
    bisection in log scale; ``(network, group_alpha, [(rate, kept), ...])``."""
    from skreg._path import adaptive_group_weights

    weights = adaptive_group_weights(network(cfg, 0.0, 30).fit(X, y))
    tried = []
    dense_side, sparse_side = None, None  # rates that kept too many, too few
    rate = 1e-3
    for _ in range(12):
        est = network(cfg, rate, cfg["select_epochs"], weights).fit(X, y)
        share = est.n_features_selected_ / X.shape[1]
        tried.append((rate, int(est.n_features_selected_)))
        if KEPT_SHARE[0] <= share <= KEPT_SHARE[1]:
            return est, rate, tried
        if share > KEPT_SHARE[1]:
            dense_side = rate
        else:
            sparse_side = rate
        if dense_side is None:
            rate = sparse_side / 2
        elif sparse_side is None:
            rate = dense_side * 2
        else:  # bisect in log scale
            rate = float(np.sqrt(dense_side * sparse_side))
    raise RuntimeError(f"no rate kept 10-20 % of the features: {tried}")


class Skipping:
    """Turns the active set on or off (its share threshold above 1: off)."""

    def __init__(self, on):
        self.on = on

    def __enter__(self):
        import skreg._active_set as A

        self.saved = A.MIN_REMOVED_SHARE
        if not self.on:
            A.MIN_REMOVED_SHARE = 2.0
        return self

    def __exit__(self, *exc):
        import skreg._active_set as A

        A.MIN_REMOVED_SHARE = self.saved
        return False


def continue_training(start, X, y, epochs):
    est = copy.deepcopy(start).set_params(warm_start=True, max_iter=epochs)
    seconds = C.timed(est.fit, X, y)
    return est, seconds


def measure(cfg, dtype, gate):
    X, y, X_new = problem(cfg, dtype)
    start, rate, tried = select(cfg, X, y)
    times = {"skipping": [], "every feature": []}
    predict_times = {"skipping": [], "every feature": []}
    models = {}
    for _ in range(cfg["repeats"]):
        for mode in times:
            with Skipping(mode == "skipping"):
                gate.wait()
                models[mode], seconds = continue_training(start, X, y, cfg["epochs"])
                times[mode].append(seconds / cfg["epochs"])
                gate.wait()
                models[mode].predict_proba(X_new[:10])  # wakes the BLAS threads
                predict_times[mode].append(C.timed(models[mode].predict_proba, X_new))
    skip, full = models["skipping"], models["every feature"]
    difference = max(float(np.max(np.abs(a - b))) for a, b in zip(skip.coefs_, full.coefs_))
    informative = slice(0, cfg["n_informative"])
    return {
        "dtype": dtype,
        "group_alpha": rate,
        "rates_tried": tried,
        "features_kept_at_start": int(start.n_features_selected_),
        "informative_kept_at_start": int(np.sum(start.feature_importances_[informative] > 0)),
        "features_kept_after": {m: int(models[m].n_features_selected_) for m in models},
        "max_weight_difference": difference,
        "seconds_per_epoch": {m: C.median(v) for m, v in times.items()},
        "all_seconds_per_epoch": times,
        "predict_seconds": {m: C.median(v) for m, v in predict_times.items()},
        "all_predict_seconds": predict_times,
    }


def table(results, cfg):
    rows = []
    for r in results:
        epoch = r["seconds_per_epoch"]
        predict = r["predict_seconds"]
        speedup = epoch["every feature"] / epoch["skipping"]
        rows.append(
            [
                r["dtype"],
                f"{r['group_alpha']:.3g}",
                f"{r['features_kept_at_start']} ({r['informative_kept_at_start']} informative)",
                " / ".join(str(v) for v in r["features_kept_after"].values()),
                C.fmt(1e3 * epoch["every feature"]),
                C.fmt(1e3 * epoch["skipping"]),
                C.target_cell(speedup, SPEEDUP_TARGET),
                C.fmt(1e3 * predict["every feature"]),
                C.fmt(1e3 * predict["skipping"]),
                C.fmt(predict["every feature"] / predict["skipping"]),
                f"{r['max_weight_difference']:.1e}",
            ]
        )
    headers = [
        "dtype",
        "group_alpha",
        "features kept at the start",
        "kept after (skipping / every feature)",
        "ms per epoch, every feature",
        "ms per epoch, skipping",
        f"speed-up (target {SPEEDUP_TARGET:g}x)",
        f"predict ms ({cfg['n_predict']} rows), every feature",
        "predict ms, skipping",
        "predict speed-up",
        "largest weight difference",
    ]
    return C.markdown_table(headers, rows)


def parse_args(argv=None):
    parser = C.bench_parser(__doc__, "small problem, no idle wait", idle_budget=120.0)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    C.silence_convergence_warnings()
    cfg = dict(QUICK if args.quick else FULL)
    info = C.machine_info()
    gate = C.idle_gate(args)
    results = [measure(cfg, dtype, gate) for dtype in cfg["dtypes"]]
    markdown = "\n\n".join(
        [
            f"### Sparse training: epochs after group-lasso selection ({cfg['n_features']} "
            f"features, {cfg['n_informative']} informative; {cfg['n_train']} rows; hidden "
            f"{cfg['hidden']}; median of {cfg['repeats']})",
            table(results, cfg),
            f"Each run: {cfg['epochs']} more Adam epochs from the same selected network "
            f"(selected by {cfg['select_epochs']} epochs at a group_alpha found by "
            "bisection, keeping 10-20 % of the features). 'every feature' turns the "
            "active set off. The largest weight difference compares the two continuations.",
            C.gate_caption(gate),
            C.machine_caption(info),
        ]
    )
    payload = {
        "benchmark": "bench_sparse",
        "quick": args.quick,
        "machine": info,
        "idle_gate": gate.report(),
        "settings": cfg,
        "results": results,
    }
    return C.publish("bench_sparse", args.quick, payload, markdown)


if __name__ == "__main__":
    sys.exit(main())
