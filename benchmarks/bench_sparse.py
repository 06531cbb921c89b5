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

Two more problems remove hidden units instead, on 100 features (20
informative), each from a network trained ``select_epochs`` epochs from
scratch, by when the penalty has zeroed the outgoing weights of most hidden
units (``HIDDEN_CASES``): two hidden layers of 256 with L1 (``alpha=1e-4``)
on every weight matrix and ``group_alpha=1e-3`` on the hidden layers'
outgoing rows; and one hidden layer of 512 with group lasso alone on its
outgoing rows (``group_alpha=3e-3``, the default L2 elsewhere), where the
pruned units' incoming weights are not zero.  The continuations are timed
and compared as above.

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
HIDDEN_FULL = dict(
    n_train=10_000,
    n_predict=20_000,
    n_features=100,
    n_informative=20,
    select_epochs=30,
    epochs=10,
    repeats=5,
    dtypes=("float64", "float32"),
)
HIDDEN_QUICK = dict(HIDDEN_FULL, n_train=2_000, n_predict=2_000, epochs=3, repeats=2)
HIDDEN_QUICK["dtypes"] = ("float64",)
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


def time_continuations(start, X, y, X_new, cfg, gate):
    """Epoch and prediction times of continuations of ``start`` with
    skipping and without, alternating; ``(times, predict_times, models)``,
    each keyed by mode."""
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
    return times, predict_times, models


def timings(times, predict_times, models):
    """The entries of a result that every problem reports."""
    skip, full = models["skipping"], models["every feature"]
    difference = max(float(np.max(np.abs(a - b))) for a, b in zip(skip.coefs_, full.coefs_))
    return {
        "max_weight_difference": difference,
        "final_objective": {m: float(models[m].loss_curve_[-1]) for m in models},
        "seconds_per_epoch": {m: C.median(v) for m, v in times.items()},
        "all_seconds_per_epoch": times,
        "predict_seconds": {m: C.median(v) for m, v in predict_times.items()},
        "all_predict_seconds": predict_times,
    }


def measure(cfg, dtype, gate):
    X, y, X_new = problem(cfg, dtype)
    start, rate, tried = select(cfg, X, y)
    times, predict_times, models = time_continuations(start, X, y, X_new, cfg, gate)
    informative = slice(0, cfg["n_informative"])
    return {
        "dtype": dtype,
        "group_alpha": rate,
        "rates_tried": tried,
        "features_kept_at_start": int(start.n_features_selected_),
        "informative_kept_at_start": int(np.sum(start.feature_importances_[informative] > 0)),
        "features_kept_after": {m: int(models[m].n_features_selected_) for m in models},
        **timings(times, predict_times, models),
    }


def hidden_units_in_use(est):
    """Per hidden layer, the units with a non-zero outgoing weight."""
    return [int(np.sum(np.any(W != 0, axis=1))) for W in est.coefs_[1:]]


def measure_hidden(cfg, case, quick, dtype, gate):
    from skreg import RegularizedMLPClassifier

    widths, params = HIDDEN_CASES[case]
    hidden = widths[1] if quick else widths[0]
    X, y, X_new = problem(cfg, dtype)
    start = RegularizedMLPClassifier(
        hidden_layer_sizes=hidden,
        batch_size=200,
        max_iter=cfg["select_epochs"],
        tol=0.0,
        n_iter_no_change=C.NEVER_STOP,
        random_state=C.SEED,
        **params,
    ).fit(X, y)
    times, predict_times, models = time_continuations(start, X, y, X_new, cfg, gate)
    return {
        "case": case,
        "hidden": hidden,
        "parameters": params,
        "dtype": dtype,
        "units_in_use_at_start": hidden_units_in_use(start),
        "units_in_use_after": {m: hidden_units_in_use(models[m]) for m in models},
        "training_accuracy": float(start.score(X, y)),
        **timings(times, predict_times, models),
    }


def speed_cells(r):
    """The timing cells every table has."""
    epoch, predict = r["seconds_per_epoch"], r["predict_seconds"]
    return [
        C.fmt(1e3 * epoch["every feature"]),
        C.fmt(1e3 * epoch["skipping"]),
        C.fmt(epoch["every feature"] / epoch["skipping"]),
        C.fmt(1e3 * predict["every feature"]),
        C.fmt(1e3 * predict["skipping"]),
        C.fmt(predict["every feature"] / predict["skipping"]),
        f"{r['max_weight_difference']:.1e}",
        " / ".join(f"{v:.4g}" for v in r["final_objective"].values()),
    ]


def speed_headers(cfg, skipped="every feature"):
    return [
        f"ms per epoch, {skipped}",
        "ms per epoch, skipping",
        "speed-up",
        f"predict ms ({cfg['n_predict']} rows), {skipped}",
        "predict ms, skipping",
        "predict speed-up",
        "largest weight difference",
        f"objective after (skipping / {skipped})",
    ]


def table(results, cfg):
    rows = []
    for r in results:
        epoch = r["seconds_per_epoch"]
        speedup = epoch["every feature"] / epoch["skipping"]
        cells = speed_cells(r)
        cells[2] = C.target_cell(speedup, SPEEDUP_TARGET)
        rows.append(
            [
                r["dtype"],
                f"{r['group_alpha']:.3g}",
                f"{r['features_kept_at_start']} ({r['informative_kept_at_start']} informative)",
                " / ".join(str(v) for v in r["features_kept_after"].values()),
                *cells,
            ]
        )
    headers = [
        "dtype",
        "group_alpha",
        "features kept at the start",
        "kept after (skipping / every feature)",
        *speed_headers(cfg),
    ]
    headers[6] = f"speed-up (target {SPEEDUP_TARGET:g}x)"
    return C.markdown_table(headers, rows)


def hidden_table(results, cfg):
    rows = [
        [
            f"{r['case']}, hidden {r['hidden']}",
            r["dtype"],
            f"{r['training_accuracy']:.3f}",
            " + ".join(str(v) for v in r["units_in_use_at_start"]),
            " / ".join(
                " + ".join(str(v) for v in units) for units in r["units_in_use_after"].values()
            ),
            *speed_cells(r),
        ]
        for r in results
    ]
    headers = [
        "problem",
        "dtype",
        "training accuracy at the start",
        "hidden units in use at the start",
        "in use after (skipping / every unit)",
        *speed_headers(cfg, "every unit"),
    ]
    return C.markdown_table(headers, rows)


def parse_args(argv=None):
    parser = C.bench_parser(__doc__, "small problem, no idle wait", idle_budget=120.0)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg, info, gate = C.begin(args, FULL, QUICK)
    results = [measure(cfg, dtype, gate) for dtype in cfg["dtypes"]]
    hidden_cfg = dict(HIDDEN_QUICK if args.quick else HIDDEN_FULL)
    hidden = [
        measure_hidden(hidden_cfg, case, args.quick, dtype, gate)
        for case in HIDDEN_CASES
        for dtype in hidden_cfg["dtypes"]
    ]
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
            "### Sparse training: epochs after the penalty removed hidden units "
            f"({hidden_cfg['n_features']} features; {hidden_cfg['n_train']} rows; median of "
            f"{hidden_cfg['repeats']})",
            hidden_table(hidden, hidden_cfg),
            f"Each run: {hidden_cfg['epochs']} more Adam epochs from a network trained "
            f"{hidden_cfg['select_epochs']} epochs; L1 and group lasso: alpha=1e-4 (L1) on "
            "every weight matrix and group_alpha=1e-3 on the hidden layers' outgoing rows; "
            "group lasso alone: group_alpha=3e-3 on the hidden layer's outgoing rows, the "
            "default L2. A unit is in use while any of its outgoing weights is non-zero.",
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
        "hidden_settings": hidden_cfg,
        "hidden_cases": {name: list(case) for name, case in HIDDEN_CASES.items()},
        "hidden_results": hidden,
    }
    return C.publish("bench_sparse", args.quick, payload, markdown)


if __name__ == "__main__":
    sys.exit(main())
