"""Input features the penalty removed, and what an epoch then costs: against
the same network trained on every column, against an unpenalized dense
network of the same shape, and against a plain network on the kept columns
alone (the floor).

8 000 rows of 400 standardized features (30 informative, first), hidden
layer of 128, batches of 200.  For each share of removed features (80 %,
90 %, every one): a group term on the input layer whose factor is 300 on
the features to remove and 1e-3 on the others removes them within 20
epochs (every one: the network is then constant).  From it, ``extra`` more
epochs (warm start) with the active set (the default) and without it; from
the plain networks as many.  The time per epoch is (t(1 + extra) - t(1)) /
extra, the median of ``repeats``; ``predict_proba`` on three copies of the
rows, the median of ``repeats``.

Targets: with at least 80 % of the features removed, an epoch at least 3x
faster than the unpenalized dense network's; with every one removed, at
least 5x, and the prediction as cheap as the intercept's (measured here
against the dense network's).

Usage: python benchmarks/bench_removed_inputs.py [--quick]
"""

import argparse
import copy
import statistics
import sys
import time

import numpy as np
from bench_sparse import network, skipping

import _common as C

FULL = dict(n_rows=8_000, n_features=400, n_informative=30, hidden=(128,), extra=10, repeats=5)
QUICK = dict(FULL, n_rows=2_000, n_features=100, extra=3, repeats=2)
SHARES = (0.8, 0.9, 1.0)
TARGETS = {0.8: 3.0, 0.9: 3.0, 1.0: 5.0}
GROUP_ALPHA = 3e-3
REMOVE, KEEP = 300.0, 1e-3  # group factors of the features to remove and to keep


def data(cfg):
    from sklearn.datasets import make_classification

    X, y = make_classification(
        cfg["n_rows"], cfg["n_features"], n_informative=cfg["n_informative"], n_redundant=0,
        shuffle=False, random_state=C.SEED,
    )  # fmt: skip
    return (X - X.mean(axis=0)) / X.std(axis=0), y


def sparse_network(cfg, share, X, y):
    """A network with ``share`` of its input features removed."""
    n_kept = int(round(cfg["n_features"] * (1 - share)))
    factors = np.full(cfg["n_features"], REMOVE)
    factors[:n_kept] = KEEP
    group_alpha = [GROUP_ALPHA] + [0.0] * len(cfg["hidden"])
    start = network(cfg["hidden"], 20, group_alpha=group_alpha, group_weights=factors)
    return start.fit(X, y), n_kept


def epoch_ms(model, X, y, cfg):
    """Median ms per epoch of going on from ``model``, and the last model."""
    times = []
    for _ in range(cfg["repeats"]):
        short = copy.deepcopy(model).set_params(warm_start=True, max_iter=1)
        long = copy.deepcopy(model).set_params(warm_start=True, max_iter=1 + cfg["extra"])
        start = time.perf_counter()
        short.fit(X, y)
        middle = time.perf_counter()
        long.fit(X, y)
        end = time.perf_counter()
        times.append(((end - middle) - (middle - start)) / cfg["extra"] * 1e3)
    return statistics.median(times), long


def predict_ms(model, X, cfg):
    times = []
    for _ in range(cfg["repeats"]):
        start = time.perf_counter()
        model.predict_proba(X)
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def measure_share(cfg, share, X, y, X_predict):
    start, n_kept = sparse_network(cfg, share, X, y)
    epoch_ms(start, X, y, dict(cfg, repeats=1))  # compile every kind once
    with skipping(False):
        epoch_ms(start, X, y, dict(cfg, repeats=1))
        every_column, full = epoch_ms(start, X, y, cfg)
    active_set, reduced = epoch_ms(start, X, y, cfg)
    difference = max(float(np.max(np.abs(a - b))) for a, b in zip(reduced.coefs_, full.coefs_))
    floor = float("nan")
    if n_kept:
        kept = np.ascontiguousarray(X[:, :n_kept])
        floor, _ = epoch_ms(network(cfg["hidden"], 2, alpha=0.0).fit(kept, y), kept, y, cfg)
    return dict(
        share=share,
        features_kept=int(start.n_features_selected_),
        kept_after=int(reduced.n_features_selected_),
        epoch_ms=dict(skipping=active_set, every_column=every_column, kept_columns_plain=floor),
        predict_ms=predict_ms(reduced, X_predict, cfg),
        max_weight_difference=difference,
    )


def measure(cfg):
    X, y = data(cfg)
    X_predict = np.tile(X, (3, 1))
    dense = network(cfg["hidden"], 2, alpha=0.0).fit(X, y)
    epoch_ms(dense, X, y, dict(cfg, repeats=1))
    dense_ms, _ = epoch_ms(dense, X, y, cfg)
    rows = [measure_share(cfg, share, X, y, X_predict) for share in SHARES]
    return dict(
        dense_epoch_ms=dense_ms,
        dense_predict_ms=predict_ms(dense, X_predict, cfg),
        predict_rows=X_predict.shape[0],
        shares=rows,
    )


def render(cfg, r, machine):
    dense = r["dense_epoch_ms"]
    rows = []
    for s in r["shares"]:
        epoch = s["epoch_ms"]
        rows.append(
            [
                f"{s['share']:.0%}",
                f"{s['features_kept']} / {s['kept_after']}",
                C.fmt(epoch["skipping"]),
                C.fmt(epoch["every_column"]),
                C.fmt(dense),
                C.fmt(epoch["kept_columns_plain"]) if s["features_kept"] else "-",
                C.fmt(dense / epoch["skipping"]),
                C.fmt(s["predict_ms"]),
                C.fmt(r["dense_predict_ms"]),
                f"{s['max_weight_difference']:.1e}",
            ]
        )
    table = C.markdown_table(
        [
            "features removed",
            "kept at the start / after",
            "ms per epoch, active set",
            "every column",
            "dense unpenalized network",
            "plain network on the kept columns (floor)",
            "dense / active set",
            f"predict_proba ms ({r['predict_rows']:,} rows)",
            "dense network's",
            "largest weight difference (active set / every column)",
        ],
        rows,
    )
    title = (
        f"### Removed input features ({cfg['n_rows']:,} x {cfg['n_features']}, hidden "
        f"{cfg['hidden']}, batch 200; median of {cfg['repeats']})"
    )
    targets = C.targets_table(
        [
            C.target(
                f"{s['share']:.0%} removed: dense / active set epoch",
                dense / s["epoch_ms"]["skipping"],
                TARGETS[s["share"]],
            )
            for s in r["shares"]
        ]
    )
    return "\n\n".join([title, table, C.machine_caption(machine), "### Targets", targets])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small problem, two repeats")
    args = parser.parse_args()
    C.silence_convergence_warnings()
    cfg = QUICK if args.quick else FULL
    machine = C.machine_info()
    result = measure(cfg)
    payload = dict(config=cfg, machine=machine, result=result)
    return C.publish("bench_removed_inputs", args.quick, payload, render(cfg, result, machine))


if __name__ == "__main__":
    sys.exit(main())
