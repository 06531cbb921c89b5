"""Which way should a warm-started path go: up from the densest model, or
down from the sparsest?

The automatic grid trained three ways, features kept and test score per
rate: ``up`` (a full fit at the smallest rate, then ``WARM_EPOCHS`` warm-started
ones at each larger rate), ``down`` (the same from the largest), ``cold``
(a full fit at every rate).  Prints the tables of ``results/path_direction.md``.
"""

import warnings

from sklearn.datasets import load_digits, make_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skreg import RegularizedMLPClassifier
from skreg._path import rate_grid

FULL_EPOCHS = 200
WARM_EPOCHS = 20
N_RATES = 8


def problems():
    X, y = make_classification(
        n_samples=600, n_features=20, n_informative=3, n_redundant=0, random_state=0
    )
    yield "600 x 20, 3 informative; group_alpha", X, y, "group_alpha", {}
    X, y = load_digits(return_X_y=True)
    yield "digits; alpha (L1)", X, y, "alpha", {"penalty": "l1"}


def run(direction, rates, make, param, X, y, X_test, y_test):
    """``{rate: (features kept, test score)}`` along ``direction``."""
    order = rates[::-1] if direction == "down" else rates
    rows = {}
    for index, rate in enumerate(order):
        warm = direction != "cold" and index > 0
        if not warm:
            est = make()
        epochs = WARM_EPOCHS if warm else FULL_EPOCHS
        est.set_params(**{param: rate, "max_iter": epochs, "warm_start": warm}).fit(X, y)
        rows[rate] = (est.n_features_selected_, est.score(X_test, y_test))
    return rows


def main():
    warnings.simplefilter("ignore")
    for name, X, y, param, params in problems():
        X = StandardScaler().fit_transform(X)
        X, X_test, y, y_test = train_test_split(X, y, test_size=0.3, random_state=0)

        def make(params=params):
            return RegularizedMLPClassifier(hidden_layer_sizes=(64,), random_state=0, **params)

        rates = rate_grid(make(), X, y, path_param=param, n_alphas=N_RATES)
        directions = ("up", "down", "cold")
        results = {d: run(d, rates, make, param, X, y, X_test, y_test) for d in directions}
        print(f"\n### {name} ({X.shape[1]} features)\n")
        print("| rate | features up | down | cold | test score up | down | cold |")
        print("|---|---|---|---|---|---|---|")
        for rate in rates:
            kept = [str(results[d][rate][0]) for d in directions]
            score = [f"{results[d][rate][1]:.3f}" for d in directions]
            print(f"| {rate:.3g} | {' | '.join(kept + score)} |")


if __name__ == "__main__":
    main()
