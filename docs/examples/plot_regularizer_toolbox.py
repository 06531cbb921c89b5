"""
The regularization toolbox on a small training set
===================================================

A network trained on 250 digits memorizes them: training accuracy 100 %, test
accuracy well below. Each regularizer of skreg attacks that gap in its own
way. For each one, its rate is chosen by 3-fold cross-validation on the
training set only; the table gives train and test accuracy, the share of
exact-zero weights, and the hidden units left after :meth:`prune`.
"""

import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.preprocessing import StandardScaler

from skreg import RegularizedMLPClassifier

warnings.simplefilter("ignore", ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=250, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

base = dict(hidden_layer_sizes=(100,), max_iter=300, random_state=0, penalty=None)

# Each row: the regularizer's name, its fixed settings, and the grid of its rate.
TOOLBOX = [
    ("none", {}, {}),
    ("L2", dict(penalty="l2"), {"alpha": [1e-3, 1e-2, 3e-2, 1e-1]}),
    ("L1", dict(penalty="l1"), {"alpha": [1e-4, 1e-3, 3e-3, 1e-2]}),
    ("elastic net", dict(penalty="elasticnet", l1_ratio=0.5), {"alpha": [1e-3, 3e-3, 1e-2, 3e-2]}),
    ("group lasso", {}, {"group_alpha": [1e-4, 3e-4, 1e-3, 3e-3]}),
    ("dropout", {}, {"dropout": [0.2, 0.5, 0.7]}),
    ("input noise", {}, {"input_noise": [0.1, 0.3, 1.0]}),
    ("max-norm", {}, {"max_norm": [0.5, 1.0, 2.0]}),
    (
        "early stopping",
        dict(early_stopping=True, validation_fraction=0.2),
        {"n_iter_no_change": [5, 10, 20]},
    ),
]


def choose_and_fit(fixed, grid):
    """The model refit on the whole training set at the rate 3-fold CV chose."""
    model = RegularizedMLPClassifier(**{**base, **fixed})
    if not grid:
        return model.fit(X_train, y_train), {}
    search = GridSearchCV(model, grid, cv=3, n_jobs=2).fit(X_train, y_train)
    return search.best_estimator_, search.best_params_


print(
    "| regularizer | chosen rate | train acc | test acc | exact zeros "
    "| inputs used | hidden units after prune | time (s) |"
)
print("|---|---|---|---|---|---|---|---|")
for name, fixed, grid in TOOLBOX:
    start = time.perf_counter()
    model, chosen = choose_and_fit(fixed, grid)
    seconds = time.perf_counter() - start
    train, test = model.score(X_train, y_train), model.score(X_test, y_test)
    zeros = np.mean(np.concatenate([W.ravel() == 0 for W in model.coefs_]))
    inputs = model.n_features_selected_
    model.prune()
    np.testing.assert_allclose(model.score(X_test, y_test), test)
    rate = ", ".join(f"{k}={v}" for k, v in chosen.items()) or "-"
    print(
        f"| {name} | {rate} | {train:.3f} | {test:.3f} | {zeros:.1%} "
        f"| {inputs}/64 | {model.coefs_[0].shape[1]}/100 | {seconds:.1f} |"
    )
