"""``python -m skreg``: the overfitting story on digits, told as two tables.

First a network without regularization against L2, L1 and elastic net at a
few rates: train and test accuracy, their gap, the share of exact-zero
weights and the fit time; scikit-learn's own MLPClassifier is the first row.
Then the L1 rate chosen by cross-validation, twice: by
``RegularizedMLPClassifierCV`` (warm-started paths over a grid of rates built
from the data) and by ``GridSearchCV`` over the same rates (one fit per rate
and fold).
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from skreg import RegularizedMLPClassifier, RegularizedMLPClassifierCV

# (label, constructor parameters) of each row after scikit-learn's.
CONFIGS = [
    ("skreg defaults (L2 alpha=1e-4)", dict()),
    ("no regularization", dict(penalty=None)),
    ("L2 alpha=1e-3", dict(penalty="l2", alpha=1e-3)),
    ("L2 alpha=1e-2", dict(penalty="l2", alpha=1e-2)),
    ("L2 alpha=1e-1", dict(penalty="l2", alpha=1e-1)),
    ("L1 alpha=1e-3", dict(penalty="l1", alpha=1e-3)),
    ("L1 alpha=3e-3", dict(penalty="l1", alpha=3e-3)),
    ("L1 alpha=1e-2", dict(penalty="l1", alpha=1e-2)),
    ("elastic net alpha=3e-3 l1_ratio=0.5", dict(penalty="elasticnet", alpha=3e-3, l1_ratio=0.5)),
    ("elastic net alpha=1e-2 l1_ratio=0.5", dict(penalty="elasticnet", alpha=1e-2, l1_ratio=0.5)),
]


def load_split(seed):
    """Digits, 70/30 stratified split, standardized on the training part."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def zero_fraction(model):
    return float(np.mean(np.concatenate([W.ravel() == 0 for W in model.coefs_])))


def evaluate(model, split):
    X_train, X_test, y_train, y_test = split
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    train, test = model.score(X_train, y_train), model.score(X_test, y_test)
    return train, test, train - test, zero_fraction(model), seconds


def features_kept(model):
    return int(np.sum(np.any(model.coefs_[0] != 0, axis=1)))


def choose_alpha(split, seed, max_iter, folds=5, n_jobs=2):
    """The L1 rate chosen by the CV estimator and by a grid search over its
    rates: one table row each."""
    X_train, X_test, y_train, y_test = split
    start = time.perf_counter()
    path = RegularizedMLPClassifierCV(
        penalty="l1", cv=folds, n_jobs=n_jobs, max_iter=max_iter, random_state=seed
    ).fit(X_train, y_train)
    path_seconds = time.perf_counter() - start
    grid = GridSearchCV(
        RegularizedMLPClassifier(penalty="l1", max_iter=max_iter, random_state=seed),
        {"alpha": path.alphas_},
        cv=folds,
        n_jobs=n_jobs,
    )
    start = time.perf_counter()
    grid.fit(X_train, y_train)
    grid_seconds = time.perf_counter() - start
    chosen = grid.best_estimator_
    return [
        ("RegularizedMLPClassifierCV", path.alpha_, path, path_seconds),
        ("GridSearchCV, same rates", chosen.alpha, chosen, grid_seconds),
    ], path.alphas_


def warm_up(split):
    """Compile (or load from Numba's disk cache) every kernel the timed fits
    use, on a few rows, so that the tables time training alone; returns the
    seconds it took. The demo's fits (L2 and L1, plain and CV) all run the
    plain epoch kernel, which takes the L1 step too; with prediction, that
    is what compiles here."""
    X, y = split[0][:60], split[2][:60]
    start = time.perf_counter()
    with warnings.catch_warnings():
        # What these one-epoch fits on 60 rows would warn about is not the demo's.
        warnings.simplefilter("ignore")
        RegularizedMLPClassifier(max_iter=1).fit(X, y).score(X, y)
        RegularizedMLPClassifier(penalty="l1", max_iter=1).fit(X, y).score(X, y)
        RegularizedMLPClassifierCV(
            penalty="l1", alphas=2, cv=2, max_iter=1, path_max_iter=1, n_jobs=1
        ).fit(X, y)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m skreg", description=__doc__)
    parser.add_argument("--seed", type=int, default=0, help="split and model seed")
    parser.add_argument("--max-iter", type=int, default=200, help="epochs per fit")
    args = parser.parse_args(argv)
    split = load_split(args.seed)

    warnings.simplefilter("ignore", ConvergenceWarning)
    seconds = warm_up(split)
    print(f"Kernels ready in {seconds:.1f} s (compiled on a first run, loaded from disk after)\n")

    rows = [
        (
            "scikit-learn MLPClassifier (defaults)",
            MLPClassifier(max_iter=args.max_iter, random_state=args.seed),
        )
    ]
    rows += [
        (label, RegularizedMLPClassifier(max_iter=args.max_iter, random_state=args.seed, **params))
        for label, params in CONFIGS
    ]
    print("Digits, 70/30 stratified split, StandardScaler, hidden_layer_sizes=(100,), adam\n")
    print("| model | train acc | test acc | gap | exact zeros | fit time (s) |")
    print("|---|---|---|---|---|---|")
    for label, model in rows:
        train, test, gap, zeros, seconds = evaluate(model, split)
        print(f"| {label} | {train:.4f} | {test:.4f} | {gap:.4f} | {zeros:.1%} | {seconds:.2f} |")

    choices, rates = choose_alpha(split, args.seed, args.max_iter)
    print(
        f"\nChoosing the L1 rate: {len(rates)} rates from {rates[0]:.1e} to {rates[-1]:.1e} "
        "(the CV estimator's automatic grid), 5 folds, n_jobs=2\n"
    )
    print("| method | alpha chosen | test acc | exact zeros | features kept | time (s) |")
    print("|---|---|---|---|---|---|")
    X_test, y_test = split[1], split[3]
    for label, alpha, model, seconds in choices:
        edge = " (grid's end)" if alpha in (rates[0], rates[-1]) else ""
        print(
            f"| {label} | {alpha:.2e}{edge} | {model.score(X_test, y_test):.4f} | "
            f"{zero_fraction(model):.1%} | {features_kept(model)}/{X_test.shape[1]} | "
            f"{seconds:.2f} |"
        )
    print(
        "\nThe CV estimator trains one network per fold along the rates, each step "
        "starting from the last; the grid search trains one per rate and fold, in worker "
        "processes that it starts first (in its time)."
    )


if __name__ == "__main__":
    main()
