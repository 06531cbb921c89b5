"""A network whose penalty removed every input feature: what its epochs and
its predictions cost, against the same network trained on every column and
against an unpenalized dense network of the same shape.

8 000 rows of 400 standardized features (30 informative), hidden layer of
128, batches of 200; a group term of 1.0 on the input layer removes every
feature within a few epochs, and the network is then constant.  From it,
``EXTRA`` more epochs (warm start) with the active set (the default) and
without it, and from a plain network (``alpha=0``) as many: the time per
epoch is (t(1 + EXTRA) - t(1)) / EXTRA, the median of ``REPEATS``.
``predict_proba`` on three copies of the rows, the median of ``REPEATS``.

Target: the constant network's epoch at least 5x faster than the plain
network's, and its prediction as cheap as the intercept (here: measured
against the plain network's).

Usage: python benchmarks/bench_no_inputs.py [--quick]
"""

import argparse
import copy
import statistics
import sys
import time

import numpy as np

import _common as C

FULL = dict(n_rows=8_000, n_features=400, n_informative=30, hidden=(128,), extra=10, repeats=5)
QUICK = dict(FULL, n_rows=2_000, n_features=100, extra=3, repeats=2)
SPEEDUP_TARGET = 5.0


def data(cfg):
    from sklearn.datasets import make_classification

    X, y = make_classification(
        cfg["n_rows"], cfg["n_features"], n_informative=cfg["n_informative"], n_redundant=0,
        random_state=C.SEED,
    )  # fmt: skip
    return (X - X.mean(axis=0)) / X.std(axis=0), y


def network(cfg, epochs, **params):
    from skreg import RegularizedMLPClassifier

    return RegularizedMLPClassifier(
        cfg["hidden"], batch_size=200, max_iter=epochs, tol=0.0, n_iter_no_change=C.NEVER_STOP,
        random_state=C.SEED, **params,
    )  # fmt: skip


def with_active_set(on):
    """The share threshold of the active set: above 1 turns it off."""
    import skreg._active_set as A

    A.MIN_REMOVED_SHARE = 0.25 if on else 2.0


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


def measure(cfg):
    X, y = data(cfg)
    constant = network(cfg, 20, group_alpha=[1.0, 0.0]).fit(X, y)
    plain = network(cfg, 2, alpha=0.0).fit(X, y)
    epoch_ms(constant, X, y, dict(cfg, repeats=1))  # compile every kind once
    with_active_set(False)
    epoch_ms(constant, X, y, dict(cfg, repeats=1))
    every_column, full = epoch_ms(constant, X, y, cfg)
    with_active_set(True)
    skipping, reduced = epoch_ms(constant, X, y, cfg)
    dense, _ = epoch_ms(plain, X, y, cfg)
    X_predict = np.tile(X, (3, 1))
    difference = max(float(np.max(np.abs(a - b))) for a, b in zip(reduced.coefs_, full.coefs_))
    return dict(
        features_kept=int(constant.n_features_selected_),
        epoch_ms=dict(skipping=skipping, every_column=every_column, plain=dense),
        predict_ms=dict(
            constant=predict_ms(reduced, X_predict, cfg), plain=predict_ms(plain, X_predict, cfg)
        ),
        max_weight_difference=difference,
        predict_rows=X_predict.shape[0],
    )


def render(cfg, r, machine):
    epoch, predict = r["epoch_ms"], r["predict_ms"]
    speedup = epoch["plain"] / epoch["skipping"]
    table = C.markdown_table(
        ["", "constant network, active set", "constant network, every column", "plain network"],
        [
            ["ms per epoch", *(C.fmt(epoch[k]) for k in ("skipping", "every_column", "plain"))],
            [
                f"predict_proba ms ({r['predict_rows']:,} rows)",
                C.fmt(predict["constant"]),
                "-",
                C.fmt(predict["plain"]),
            ],
        ],
    )
    title = (
        f"### A network with every input removed ({cfg['n_rows']:,} x {cfg['n_features']}, "
        f"hidden {cfg['hidden']}, batch 200; median of {cfg['repeats']})"
    )
    notes = (
        f"Features kept: {r['features_kept']}. Largest weight difference between the two "
        f"continuations of the constant network: {r['max_weight_difference']:.1e}."
    )
    targets = C.targets_table(
        [C.target("epoch: plain / constant with the active set", speedup, SPEEDUP_TARGET)]
    )
    return "\n\n".join([title, table, notes, C.machine_caption(machine), "### Targets", targets])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small problem, two repeats")
    args = parser.parse_args()
    C.silence_convergence_warnings()
    cfg = QUICK if args.quick else FULL
    machine = C.machine_info()
    result = measure(cfg)
    payload = dict(config=cfg, machine=machine, result=result)
    return C.publish("bench_no_inputs", args.quick, payload, render(cfg, result, machine))


if __name__ == "__main__":
    sys.exit(main())
