"""``python -m skreg``: the overfitting story on digits, told as a table.

A network without regularization against L2, L1 and elastic net at a few
rates: train and test accuracy, their gap, the share of exact-zero weights
and the fit time.  scikit-learn's own MLPClassifier is the first row.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from skreg import RegularizedMLPClassifier

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


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m skreg", description=__doc__)
    parser.add_argument("--seed", type=int, default=0, help="split and model seed")
    parser.add_argument("--max-iter", type=int, default=200, help="epochs per fit")
    args = parser.parse_args(argv)
    split = load_split(args.seed)

    # The first fit compiles the kernels (once; Numba caches them on disk).
    warnings.simplefilter("ignore", ConvergenceWarning)
    RegularizedMLPClassifier(max_iter=1).fit(split[0][:50], split[2][:50])

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


if __name__ == "__main__":
    main()
