"""Tuning study: what the one-call tuner should do, measured.

Each experiment is one function of ``EXPERIMENTS``, selectable by name:

* ``target_scale``: the CV regressor (and scikit-learn's grid) with raw y
  against y standardized on the training part.
* ``ensemble``: at the rate the CV estimator chose, its own model against a
  cold refit on all the training data and against the average of the k cold
  fold models.
* ``grid_ends``: is the best rate of a cold grid at an end of the automatic
  grid, and what does extending the grid change?
* ``warm_steps``: along the automatic grid, cold fits against the path's
  steps and against converged warm steps (up or down; optimizer state
  carried or fresh).
* ``search_space``: l1_ratio lists, early stopping, layer sizes, max_iter.
* ``selection_rules``: which rate to take from the folds' curve.
* ``first_step``: a shorter first step of the path (``max_iter`` 100).

Data: the tables, preprocessing (one-hot + StandardScaler fitted on the
training part) and 75/25 splits of ``bench_real.py`` (seed = split number).
Only skreg's public API is used.  Rows are appended to
``results/tuning_study.json`` one at a time (a rerun skips rows already there;
``--force`` refits them); ``results/tuning_study.md`` is rebuilt from all rows.

Usage::

    python benchmarks/tuning_study.py target_scale --datasets boston --splits 3
    python benchmarks/tuning_study.py --report-only
"""

import argparse
import functools
import inspect
import json
import os
import statistics
import sys
import tempfile
import time
import traceback
from pathlib import Path

import bench_real as R
import numpy as np

import _common as C

HIDDEN = (100,)
N_JOBS = 2
SEED = 0
MAX_ROWS = 3000  # larger tables are subsampled (bench_real uses 30 000)
OUT = C.RESULTS_DIR / "tuning_study.json"
REGRESSION = ("biomass", "boston", "college", "hitters", "cps1988")


# --------------------------------------------------------------------------
# Harness: data, models, scores, rows
# --------------------------------------------------------------------------


@functools.cache
def table(name, max_rows=MAX_ROWS):
    t = R.TABLES_BY_NAME[name]
    return R.load_table(t, min(max_rows, t.max_rows))


class Split:
    """One 75/25 split of a table, preprocessed (numeric arrays); regression
    targets optionally standardized with the training part's mean and sd."""

    def __init__(self, name, seed, scale_y=False):
        data = table(name)
        X_train, X_test, y_train, y_test = R.split(data, seed)
        prep = R.preprocessor(X_train)
        self.X_train = np.ascontiguousarray(prep.fit_transform(X_train), dtype=np.float64)
        self.X_test = np.ascontiguousarray(prep.transform(X_test), dtype=np.float64)
        self.is_classifier = data.table.is_classifier
        self.n_classes = len(data.classes)
        self.y_train, self.y_test = np.asarray(y_train), np.asarray(y_test)
        self.y_mean, self.y_sd = 0.0, 1.0
        if scale_y and not self.is_classifier:
            self.y_mean, self.y_sd = float(np.mean(y_train)), float(np.std(y_train))
            self.y_train = (self.y_train - self.y_mean) / self.y_sd
            self.y_test = (self.y_test - self.y_mean) / self.y_sd


def plain(is_classifier, **params):
    from skreg import RegularizedMLPClassifier, RegularizedMLPRegressor

    cls = RegularizedMLPClassifier if is_classifier else RegularizedMLPRegressor
    return cls(**{"hidden_layer_sizes": HIDDEN, "random_state": SEED, **params})


def cv_model(is_classifier, **params):
    from skreg import RegularizedMLPClassifierCV, RegularizedMLPRegressorCV

    cls = RegularizedMLPClassifierCV if is_classifier else RegularizedMLPRegressorCV
    defaults = {"hidden_layer_sizes": HIDDEN, "random_state": SEED, "n_jobs": N_JOBS, "cv": 5}
    return cls(**{**defaults, **params})


def sklearn_grid(is_classifier):
    from sklearn.model_selection import GridSearchCV
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    cls = MLPClassifier if is_classifier else MLPRegressor
    return GridSearchCV(
        cls(hidden_layer_sizes=HIDDEN, random_state=SEED),
        {"alpha": R.SKLEARN_ALPHAS},
        cv=5,
        n_jobs=N_JOBS,
    )


def prediction(model, X, is_classifier):
    """Class probabilities (classifiers) or predictions."""
    return model.predict_proba(X) if is_classifier else np.asarray(model.predict(X), float)


def scores(pred, y, is_classifier, n_classes=2):
    """Accuracy and log-loss (classifiers, from probabilities) or R²."""
    from sklearn.metrics import log_loss, r2_score, roc_auc_score

    if not is_classifier:
        return {"score": float(r2_score(y, pred))}
    proba = np.clip(pred, 1e-15, 1.0)
    proba = proba / proba.sum(1, keepdims=True)
    out = {
        "score": float(np.mean(np.argmax(proba, 1) == y)),
        "log_loss": float(log_loss(y, proba, labels=np.arange(n_classes))),
    }
    if n_classes == 2:
        out["roc_auc"] = float(roc_auc_score(y, proba[:, 1]))
    return out


def test_scores(model, s):
    pred = prediction(model, s.X_test, s.is_classifier)
    return scores(pred, s.y_test, s.is_classifier, s.n_classes)


def timed_fit(model, X, y):
    started = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - started


def cv_epochs(cv):
    """Epochs a fitted CV estimator ran: every fold's path plus the full
    path (estimated as one more fold's)."""
    n_folds = sum(1 for k in cv.cv_results_ if k.startswith("split") and k.endswith("_score"))
    per_fold = float(np.sum(cv.cv_results_["mean_n_iter"]))
    return per_fold * (n_folds + 1)


def grid_position(alpha, alphas):
    """Index of the chosen rate in its grid, and whether it is an end."""
    alphas = np.sort(np.ravel(alphas))
    index = int(np.argmin(np.abs(np.log(alphas) - np.log(alpha))))
    return index, index in (0, len(alphas) - 1)


class Results:
    """The JSON: rows keyed by (experiment, dataset, split, variant).  Each
    change re-reads the file under a lock, so that several experiments can
    run at once into the same file."""

    def __init__(self, path, force=False):
        self.path, self.force = path, force
        self.lock = Path(tempfile.gettempdir()) / f"{path.stem}.lock"
        self.data = self.read()

    def read(self):
        if self.path.exists():
            return json.loads(self.path.read_text())
        return {"sessions": [], "rows": []}

    @staticmethod
    def key(row):
        return (row["experiment"], row["dataset"], row["split"], row["variant"])

    def done(self, experiment, dataset, split, variant):
        if self.force:
            return False
        keys = {self.key(r) for r in self.read()["rows"] if r["status"] == "ok"}
        return (experiment, dataset, split, variant) in keys

    def update(self, change):
        """``change(data)`` applied to the file's current content."""
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self.data = self.read()
            change(self.data)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self.data, indent=1, default=C._json_default) + "\n")
            tmp.replace(self.path)

    def add(self, row):
        key = self.key(row)

        def change(data):
            data["rows"] = [r for r in data["rows"] if self.key(r) != key]
            data["rows"].append(row)

        self.update(change)
        cells = ", ".join(
            f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
            for k, v in row.items()
            if k not in ("experiment", "dataset", "split", "variant") and not isinstance(v, list)
        )
        print(f"{row['experiment']} {row['dataset']} s{row['split']} {row['variant']}: {cells}")
        sys.stdout.flush()


def run_variants(results, experiment, dataset, seed, variants):
    """``variants``: (name, function returning the row's measurements); rows
    already in the results are skipped, failures recorded."""
    for name, measure in variants:
        if results.done(experiment, dataset, seed, name):
            continue
        base = {"experiment": experiment, "dataset": dataset, "split": seed, "variant": name}
        try:
            results.add({**base, "status": "ok", **measure()})
        except Exception as exc:
            traceback.print_exc()
            results.add({**base, "status": f"error: {type(exc).__name__}: {exc}"})


# --------------------------------------------------------------------------
# 1. Target scale
# --------------------------------------------------------------------------


def target_scale(results, datasets, splits):
    """Raw y against y standardized on the training part (R² is the same in
    either unit, so each variant is scored in its own)."""
    datasets = datasets or REGRESSION
    for name in datasets:
        for seed in range(splits):
            _target_scale_one(results, name, seed)


def _target_scale_one(results, name, seed):
    raw, scaled = Split(name, seed), Split(name, seed, scale_y=True)

    def skreg_cv(s, **params):
        def measure():
            model = cv_model(False, **params)
            seconds = timed_fit(model, s.X_train, s.y_train)
            index, at_end = grid_position(model.alpha_, model.alphas_)
            return {
                **test_scores(model, s),
                "alpha": model.alpha_,
                "alpha_index": index,
                "at_end": at_end,
                "grid": [float(model.alphas_.min()), float(model.alphas_.max())],
                "refit_n_iter": model.n_iter_,
                "epochs": cv_epochs(model),
                "seconds": seconds,
            }

        return measure

    def grid(s):
        def measure():
            model = sklearn_grid(False)
            seconds = timed_fit(model, s.X_train, s.y_train)
            alpha = model.best_params_["alpha"]
            index, at_end = grid_position(alpha, R.SKLEARN_ALPHAS)
            return {
                **test_scores(model, s),
                "alpha": alpha,
                "alpha_index": index,
                "at_end": at_end,
                "refit_n_iter": model.best_estimator_.n_iter_,
                "seconds": seconds,
            }

        return measure

    def default(s):
        def measure():
            model = plain(False)
            seconds = timed_fit(model, s.X_train, s.y_train)
            return {**test_scores(model, s), "n_iter": model.n_iter_, "seconds": seconds}

        return measure

    run_variants(
        results,
        "target_scale",
        name,
        seed,
        [
            ("skreg_default raw y", default(raw)),
            ("skreg_default scaled y", default(scaled)),
            ("skreg_cv raw y", skreg_cv(raw)),
            ("skreg_cv scaled y", skreg_cv(scaled)),
            ("skreg_cv_l1 raw y", skreg_cv(raw, penalty="l1")),
            ("skreg_cv_l1 scaled y", skreg_cv(scaled, penalty="l1")),
            ("sklearn_grid raw y", grid(raw)),
            ("sklearn_grid scaled y", grid(scaled)),
        ],
    )


# --------------------------------------------------------------------------
# 5. Fold ensemble against refit
# --------------------------------------------------------------------------


def ensemble(results, datasets, splits):
    """At the CV estimator's chosen rate: its own model (the full path's step),
    a cold refit on all the training data, and the average prediction of k
    cold fits on the CV training folds (the same folds).  Regression targets
    standardized."""

    datasets = datasets or [t.name for t in R.TABLES]
    for name in datasets:
        for seed in range(splits):
            _ensemble_one(results, name, seed)


def _ensemble_one(results, name, seed):
    from sklearn.model_selection import check_cv

    s = Split(name, seed, scale_y=True)
    state = {}

    def chosen():
        if "cv" not in state:
            model = cv_model(s.is_classifier)
            state["seconds"] = timed_fit(model, s.X_train, s.y_train)
            state["cv"] = model
        return state["cv"]

    def own():
        model = chosen()
        return {
            **test_scores(model, s),
            "alpha": model.alpha_,
            "epochs": cv_epochs(model),
            "seconds": state["seconds"],
        }

    def refit():
        model = plain(s.is_classifier, alpha=chosen().alpha_)
        seconds = timed_fit(model, s.X_train, s.y_train)
        return {**test_scores(model, s), "epochs": model.n_iter_, "seconds": seconds}

    def fold_ensemble():
        alpha = chosen().alpha_
        folds = check_cv(5, s.y_train, classifier=s.is_classifier)
        preds, epochs, seconds = [], 0, 0.0
        for train, _ in folds.split(s.X_train, s.y_train):
            model = plain(s.is_classifier, alpha=alpha)
            seconds += timed_fit(model, s.X_train[train], s.y_train[train])
            preds.append(prediction(model, s.X_test, s.is_classifier))
            epochs += model.n_iter_
        members = [scores(p, s.y_test, s.is_classifier, s.n_classes)["score"] for p in preds]
        return {
            **scores(np.mean(preds, axis=0), s.y_test, s.is_classifier, s.n_classes),
            "member_score_mean": float(np.mean(members)),
            "epochs": epochs,
            "seconds": seconds,
        }

    run_variants(
        results,
        "ensemble",
        name,
        seed,
        [("cv_model", own), ("cold_refit", refit), ("fold_ensemble", fold_ensemble)],
    )


# --------------------------------------------------------------------------
# 3. The grid's ends
# --------------------------------------------------------------------------


def grid_ends(results, datasets, splits):
    """The automatic grid (10 rates), extended by /10 on the weak side and
    ×10, ×100 on the strong side; cold CV over the extended grid
    (path_warm_start=False, so that every rate is a cold fit on each fold)
    says where the best rate is.  Regression targets standardized.
    alpha_index: in the automatic grid (0-9) for "warm auto grid", in the
    extended grid (0 = /10, 1-10 = automatic, 11 = ×10, 12 = ×100) otherwise;
    auto_score: test score of a cold fit at the best rate of the cold CV
    restricted to the automatic grid."""
    datasets = datasets or ["biomass", "college", "boston", "hitters", "attrition"]
    for name in datasets:
        for seed in range(splits):
            s = Split(name, seed, scale_y=True)
            for penalty in ("l2", "l1"):
                _grid_ends_one(results, name, seed, penalty, s)


def _grid_ends_one(results, name, seed, penalty, s):
    state = {}

    def auto(penalty=penalty, state=state):
        if "auto" not in state:
            model = cv_model(s.is_classifier, penalty=penalty)
            state["seconds"] = timed_fit(model, s.X_train, s.y_train)
            state["auto"] = model
        return state["auto"]

    def extended(penalty=penalty):
        grid = np.sort(auto(penalty).alphas_)
        return np.concatenate([[grid[0] / 10], grid, [grid[-1] * 10, grid[-1] * 100]])

    def warm_auto(penalty=penalty, state=state):
        model = auto(penalty)
        index, at_end = grid_position(model.alpha_, model.alphas_)
        return {
            **test_scores(model, s),
            "alpha": model.alpha_,
            "alpha_index": index,
            "at_end": at_end,
            "epochs": cv_epochs(model),
            "seconds": state["seconds"],
        }

    def warm_extended(penalty=penalty):
        grid = extended(penalty)
        model = cv_model(s.is_classifier, penalty=penalty, alphas=grid)
        seconds = timed_fit(model, s.X_train, s.y_train)
        index, _ = grid_position(model.alpha_, grid)
        return {
            **test_scores(model, s),
            "alpha": model.alpha_,
            "alpha_index": index,  # 0 = /10, 1..10 = automatic, 11 = ×10, 12 = ×100
            "in_extension": index in (0, 11, 12),
            "epochs": cv_epochs(model),
            "seconds": seconds,
        }

    def cold(penalty=penalty):
        grid = extended(penalty)
        model = cv_model(s.is_classifier, penalty=penalty, alphas=grid, path_warm_start=False)
        seconds = timed_fit(model, s.X_train, s.y_train)
        means = np.asarray(model.cv_results_["mean_test_score"])
        best_ext = int(np.nanargmax(means))
        best_auto = 1 + int(np.nanargmax(means[1:11]))
        out = {
            **test_scores(model, s),
            "alpha": model.alpha_,
            "alpha_index": best_ext,
            "in_extension": best_ext in (0, 11, 12),
            "auto_alpha_index": best_auto,
            "auto_at_end": best_auto in (1, 10),
            "cv_score_extended": float(means[best_ext]),
            "cv_score_auto": float(means[best_auto]),
            "cv_curve": means.tolist(),
            "epochs": cv_epochs(model),
            "seconds": seconds,
        }
        if best_auto != best_ext:  # the cold fit at the automatic grid's best
            refit = plain(s.is_classifier, penalty=penalty, alpha=float(grid[best_auto]))
            refit.fit(s.X_train, s.y_train)
            out["auto_score"] = test_scores(refit, s)["score"]
        else:
            out["auto_score"] = out["score"]
        return out

    run_variants(
        results,
        "grid_ends",
        name,
        seed,
        [
            (f"{penalty} warm auto grid", warm_auto),
            (f"{penalty} warm extended grid", warm_extended),
            (f"{penalty} cold extended grid", cold),
        ],
    )


# --------------------------------------------------------------------------
# 2. Warm steps against cold fits
# --------------------------------------------------------------------------


def train_objective_parts(model, s):
    """The data term at the model's weights on the training part (log-loss or
    half mean squared error), computed here so that every variant is
    measured the same way (``loss_`` is an average over the last epoch)."""
    pred = prediction(model, s.X_train, s.is_classifier)
    if s.is_classifier:
        return scores(pred, s.y_train, True, s.n_classes)["log_loss"]
    return float(0.5 * np.mean((pred - s.y_train) ** 2))


def set_weights(model, coefs, intercepts):
    model.coefs_ = [np.array(W, copy=True) for W in coefs]
    model.intercepts_ = [np.array(b, copy=True) for b in intercepts]


def converge_fresh(model, X, y, alpha, cap):
    """A warm step through ``fit``: warm_start on, a fresh stopping rule and
    (as ``fit`` always does) a fresh Adam state; at most ``cap`` epochs."""
    model.set_params(alpha=alpha, max_iter=cap, warm_start=True)
    model.best_loss_ = np.inf
    model._no_improvement_count = 0  # scikit-learn's MLP name; fit keeps it
    model.fit(X, y)
    return model.n_iter_  # the epochs of this call


def converge_carried(model, X, y, alpha, cap, tol=1e-4, patience=10):
    """A warm step through ``partial_fit`` (which keeps the Adam state):
    epochs until the objective has not improved by ``tol`` for ``patience``
    epochs (the stopping rule of ``fit``), at most ``cap``."""
    model.set_params(alpha=alpha)
    best, stale = np.inf, 0
    for epoch in range(1, cap + 1):
        model.partial_fit(X, y)
        loss = float(model.loss_)
        stale = stale + 1 if loss > best - tol else 0
        best = min(best, loss)
        if stale > patience:
            return epoch
    return cap


def warm_steps(results, datasets, splits):
    """One split per table.  Along the automatic grid of the CV estimator:
    cold fits (200 epochs at most); the steps of ``regularization_path``
    (default ``path_max_iter``=20, raised so that a step makes >= 100 Adam
    updates: 50 epochs a step on boston's 379 training rows; up);
    warm steps run to convergence (cap 200 epochs), up and down, through
    ``fit`` (fresh Adam) or ``partial_fit`` (Adam carried)."""
    datasets = datasets or ["attrition", "boston", "hepatic_injury_qsar"]
    for name in datasets:
        _warm_steps_one(results, name)


def _warm_steps_one(results, name, cap=200):
    from skreg import regularization_path

    seed = 0
    s = Split(name, seed, scale_y=True)
    grid = np.sort(cv_model(s.is_classifier).fit(s.X_train, s.y_train).alphas_)

    def per_rate(models_epochs):
        out = {"score": [], "train_loss": [], "objective": [], "epochs": []}
        for model, epochs in models_epochs:
            out["score"].append(test_scores(model, s)["score"])
            out["train_loss"].append(train_objective_parts(model, s))
            out["objective"].append(float(model.loss_))
            out["epochs"].append(int(epochs))
        out["total_epochs"] = int(np.sum(out["epochs"]))
        out["alphas"] = grid.tolist()
        return out

    def cold():
        fitted = []
        for alpha in grid:
            model = plain(s.is_classifier, alpha=float(alpha))
            model.fit(s.X_train, s.y_train)
            fitted.append((model, model.n_iter_))
        return per_rate(fitted)

    def path():
        bunch = regularization_path(
            s.X_train, s.y_train, estimator=plain(s.is_classifier), alphas=grid
        )
        fitted = []
        for k in range(len(grid)):
            model = plain(s.is_classifier, max_iter=1)
            model.fit(s.X_train, s.y_train)  # fitted attributes to overwrite
            set_weights(model, bunch.coefs[k], bunch.intercepts[k])
            model.loss_ = float(bunch.objective[k])
            fitted.append((model, bunch.n_iter[k]))
        return per_rate(fitted)

    def converged(order, carried):
        def measure():
            import copy

            rates = grid if order == "up" else grid[::-1]
            model = plain(s.is_classifier, alpha=float(rates[0]))
            model.fit(s.X_train, s.y_train)
            snapshots = {float(rates[0]): (copy.deepcopy(model), model.n_iter_)}
            for alpha in rates[1:]:
                step = converge_carried if carried else converge_fresh
                epochs = step(model, s.X_train, s.y_train, float(alpha), cap)
                snapshots[float(alpha)] = (copy.deepcopy(model), epochs)
            return per_rate([snapshots[float(a)] for a in grid])

        return measure

    run_variants(
        results,
        "warm_steps",
        name,
        seed,
        [
            ("cold fits", cold),
            ("path (default steps, up)", path),
            ("converged up, Adam fresh", converged("up", False)),
            ("converged up, Adam carried", converged("up", True)),
            ("converged down, Adam fresh", converged("down", False)),
            ("converged down, Adam carried", converged("down", True)),
        ],
    )


# --------------------------------------------------------------------------
# 4. Search space candidates
# --------------------------------------------------------------------------


def search_space(results, datasets, splits):
    """Cost and score of candidate dimensions of the search space, each on its
    own against the default CV estimator.  Regression targets standardized."""
    datasets = datasets or ["boston", "attrition", "hepatic_injury_qsar"]
    for name in datasets:
        for seed in range(splits):
            _search_space_one(results, name, seed)


def cv_measure(s, **params):
    """The measurements of a row: the CV estimator with ``params`` fitted on
    split ``s`` (a function, for ``run_variants``)."""

    def measure():
        model = cv_model(s.is_classifier, **params)
        seconds = timed_fit(model, s.X_train, s.y_train)
        return {
            **test_scores(model, s),
            "alpha": model.alpha_,
            "l1_ratio": model.l1_ratio_,
            "epochs": cv_epochs(model),
            "seconds": seconds,
        }

    return measure


def _search_space_one(results, name, seed):
    s = Split(name, seed, scale_y=True)
    cv_variant = functools.partial(cv_measure, s)

    def early_stopping(alpha):
        def measure():
            model = plain(s.is_classifier, alpha=alpha, early_stopping=True)
            seconds = timed_fit(model, s.X_train, s.y_train)
            return {**test_scores(model, s), "epochs": model.n_iter_, "seconds": seconds}

        return measure

    run_variants(
        results,
        "search_space",
        name,
        seed,
        [
            ("cv l2 (100,) max_iter 200", cv_variant()),
            (
                "cv elasticnet l1_ratio [.1,.5,.9,1]",
                cv_variant(penalty="elasticnet", l1_ratio=[0.1, 0.5, 0.9, 1.0]),
            ),
            ("cv l2 (32,)", cv_variant(hidden_layer_sizes=(32,))),
            ("cv l2 (100,100)", cv_variant(hidden_layer_sizes=(100, 100))),
            ("cv l2 max_iter 500", cv_variant(max_iter=500)),
            ("plain early_stopping alpha 1e-4", early_stopping(1e-4)),
            ("plain early_stopping alpha 1e-2", early_stopping(1e-2)),
            ("plain early_stopping alpha 1e-1", early_stopping(1e-1)),
        ],
    )


# --------------------------------------------------------------------------
# 6. Selection rules
# --------------------------------------------------------------------------


def selection_rules(results, datasets, splits):
    """Which rate to take from the folds' curve (the CV estimator at its
    defaults: an L2 path, rule "best").  One CV fit per split gives the mean
    fold score at each rate; ``regularization_path`` with the CV estimator's
    own base estimator and grid gives the model it returns at each rate, and
    that model's test score.  The variants are rules read off the same curve:
    best (the default), smooth3 (the best of the curve averaged with its two
    neighbours, which steps back from a peak next to a cliff), weaker (one
    rate below the best) and oracle (the rate with the best test score: what
    any rule could gain at most).  Regression targets standardized."""
    datasets = datasets or [t.name for t in (*R.TABLES, *R.HELD_OUT) if t.name != "grants_other"]
    for name in datasets:
        for seed in range(splits):
            _selection_rules_one(results, name, seed)


def _selection_rules_one(results, name, seed):
    state = {}

    def curve():
        """The fold means and each rate's test score, computed once per split."""
        if not state:
            from sklearn.base import clone

            from skreg import regularization_path

            s = Split(name, seed, scale_y=True)
            model = cv_model(s.is_classifier)
            state["seconds"] = timed_fit(model, s.X_train, s.y_train)
            base = model._base_estimator().set_params(group_weights=None)
            path = regularization_path(
                s.X_train, s.y_train, estimator=clone(base), alphas=model.alphas_
            )
            probe = clone(base).fit(s.X_train[:20], s.y_train[:20])  # takes each rate's weights
            tests = []
            for coefs, intercepts in zip(path.coefs, path.intercepts):
                set_weights(probe, coefs, intercepts)
                tests.append(test_scores(probe, s)["score"])
            state["means"] = np.asarray(model.cv_results_["mean_test_score"], dtype=float)
            state["tests"] = np.asarray(tests)
        return state

    def rule(pick):
        def measure():
            c = curve()
            index = pick(c)
            return {
                "score": float(c["tests"][index]),
                "alpha_index": index,
                "seconds": c["seconds"],
            }

        return measure

    def smoothed(means):
        padded = np.pad(means, 1, mode="constant", constant_values=np.nan)
        windows = np.lib.stride_tricks.sliding_window_view(padded, 3)
        return np.nanmean(windows, axis=1)

    best = lambda c: int(np.nanargmax(c["means"]))  # noqa: E731
    run_variants(
        results,
        "selection_rules",
        name,
        seed,
        [
            ("best", rule(best)),
            ("smooth3", rule(lambda c: int(np.nanargmax(smoothed(c["means"]))))),
            ("weaker", rule(lambda c: max(best(c) - 1, 0))),
            ("oracle", rule(lambda c: int(np.argmax(c["tests"])))),
        ],
    )


# --------------------------------------------------------------------------
# 7. The first step's length
# --------------------------------------------------------------------------


def first_step(results, datasets, splits):
    """The path's first rate trained for at most 100 epochs (``max_iter``)
    instead of 200, the later steps unchanged: what it saves in time and what
    it costs in test score, the CV estimator at its defaults otherwise.
    Regression targets standardized."""
    skipped = ("grants_other", "cps1988")  # the largest: minutes a split
    datasets = datasets or [t.name for t in (*R.TABLES, *R.HELD_OUT) if t.name not in skipped]
    for name in datasets:
        for seed in range(splits):
            s = Split(name, seed, scale_y=True)
            variants = [("max_iter 200", cv_measure(s))]
            variants.append(("max_iter 100", cv_measure(s, max_iter=100)))
            run_variants(results, "first_step", name, seed, variants)


EXPERIMENTS = {
    "target_scale": target_scale,
    "ensemble": ensemble,
    "grid_ends": grid_ends,
    "warm_steps": warm_steps,
    "search_space": search_space,
    "selection_rules": selection_rules,
    "first_step": first_step,
}


# --------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------


def _mean_sd(values, digits=3):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.{digits}f} ± {sd:.{digits}f} (n={len(values)})"


SUMMARY_KEYS = {
    "target_scale": ("score", "alpha_index", "at_end", "epochs", "seconds"),
    "ensemble": ("score", "log_loss", "member_score_mean", "epochs", "seconds"),
    "grid_ends": (
        "score",
        "auto_score",
        "alpha_index",
        "in_extension",
        "auto_at_end",
        "at_end",
        "epochs",
        "seconds",
    ),
    "search_space": ("score", "log_loss", "epochs", "seconds"),
    "selection_rules": ("score", "alpha_index", "seconds"),
    "first_step": ("score", "epochs", "seconds"),
}


def summary_table(rows, experiment):
    keys = SUMMARY_KEYS[experiment]
    groups = {}
    for r in rows:
        if r["experiment"] == experiment and r["status"] == "ok":
            groups.setdefault((r["dataset"], r["variant"]), []).append(r)
    lines = []
    for (dataset, variant), group in groups.items():
        cells = [dataset, variant]
        for key in keys:
            values = [float(r[key]) for r in group if key in r and r[key] is not None]
            digits = 1 if key in ("epochs", "seconds", "alpha_index") else 3
            cells.append(_mean_sd(values, digits) if values else "-")
        lines.append(cells)
    return C.markdown_table(["dataset", "variant", *keys], lines)


def warm_steps_summary(rows):
    """Per (table, variant): total epochs, the best test score over the grid
    and its rate index, and against the cold fits at the same rates the mean
    test-score gap, the mean gap in the data loss on the training part and in
    ``loss_`` (the objective, penalty included, averaged over the last epoch);
    negative: lower."""
    ok = [r for r in rows if r["experiment"] == "warm_steps" and r["status"] == "ok"]
    cold = {r["dataset"]: r for r in ok if r["variant"] == "cold fits"}
    lines = []
    for r in ok:
        ref = cold.get(r["dataset"])
        score, loss = np.array(r["score"]), np.array(r["train_loss"])
        objective = np.array(r["objective"])
        best = int(np.argmax(score))
        gaps = ["-", "-", "-"]
        if ref is not None:
            gaps = [
                f"{np.mean(score - np.array(ref['score'])):+.3f}",
                f"{np.mean(loss - np.array(ref['train_loss'])):+.4f}",
                f"{np.mean(objective - np.array(ref['objective'])):+.4f}",
            ]
        lines.append(
            [r["dataset"], r["variant"], r["total_epochs"], f"{score[best]:.3f}", best, *gaps]
        )
    headers = [
        "dataset",
        "variant",
        "epochs",
        "best test score",
        "its rate index",
        "mean score − cold",
        "mean train data loss − cold",
        "mean loss_ (objective) − cold",
    ]
    return C.markdown_table(headers, lines)


def warm_steps_table(rows):
    out = [warm_steps_summary(rows)]
    for r in rows:
        if r["experiment"] != "warm_steps" or r["status"] != "ok":
            continue
        out.append(f"**{r['dataset']}, {r['variant']}** (epochs {r['total_epochs']})")
        lines = [
            [f"{a:.3g}", f"{sc:.3f}", f"{tl:.4f}", f"{ob:.4f}", e]
            for a, sc, tl, ob, e in zip(
                r["alphas"], r["score"], r["train_loss"], r["objective"], r["epochs"]
            )
        ]
        out.append(
            C.markdown_table(["alpha", "test score", "train data loss", "loss_", "epochs"], lines)
        )
    return "\n\n".join(out)


# Paired differences on the same split: (variant a, variant b, key), a - b.
PAIRS = {
    "target_scale": [
        ("skreg_default scaled y", "skreg_default raw y", "score"),
        ("skreg_cv scaled y", "skreg_cv raw y", "score"),
        ("skreg_cv_l1 scaled y", "skreg_cv_l1 raw y", "score"),
        ("sklearn_grid scaled y", "sklearn_grid raw y", "score"),
        ("skreg_cv scaled y", "sklearn_grid scaled y", "score"),
        ("skreg_cv_l1 scaled y", "sklearn_grid scaled y", "score"),
    ],
    "ensemble": [
        ("fold_ensemble", "cold_refit", "score"),
        ("fold_ensemble", "cv_model", "score"),
        ("cold_refit", "cv_model", "score"),
        ("fold_ensemble", "cold_refit", "log_loss"),
        ("fold_ensemble", "cv_model", "log_loss"),
    ],
    "grid_ends": [
        ("l2 warm extended grid", "l2 warm auto grid", "score"),
        ("l1 warm extended grid", "l1 warm auto grid", "score"),
        ("l2 cold extended grid", "l2 cold extended grid", "score-auto_score"),
        ("l1 cold extended grid", "l1 cold extended grid", "score-auto_score"),
        ("l2 cold extended grid", "l2 warm auto grid", "score"),
        ("l1 cold extended grid", "l1 warm auto grid", "score"),
    ],
    "selection_rules": [(variant, "best", "score") for variant in ("smooth3", "weaker", "oracle")],
    "first_step": [("max_iter 100", "max_iter 200", key) for key in ("score", "seconds")],
    "search_space": [
        (variant, "cv l2 (100,) max_iter 200", "score")
        for variant in (
            "cv elasticnet l1_ratio [.1,.5,.9,1]",
            "cv l2 (32,)",
            "cv l2 (100,100)",
            "cv l2 max_iter 500",
            "plain early_stopping alpha 1e-4",
            "plain early_stopping alpha 1e-2",
            "plain early_stopping alpha 1e-1",
        )
    ],
}


def _value(row, key):
    if "-" in key:  # a difference within the row
        first, second = key.split("-")
        return row.get(first, np.nan) - row.get(second, np.nan)
    return row.get(key, np.nan)


def _signs(diffs):
    """How many differences are positive / zero (within 1e-9) / negative."""
    above = sum(d > 1e-9 for d in diffs)
    below = sum(d < -1e-9 for d in diffs)
    return f"{above} / {len(diffs) - above - below} / {below}"


def pairs_table(rows, experiment):
    """Per (dataset, pair): mean ± sd over splits of a - b, and a's wins."""
    by = {}
    for r in rows:
        if r["experiment"] == experiment and r["status"] == "ok":
            by[(r["dataset"], r["split"], r["variant"])] = r
    datasets = list(dict.fromkeys(d for d, _, _ in by))
    lines = []
    for a, b, key in PAIRS.get(experiment, []):
        all_diffs = []
        for dataset in datasets:
            splits = sorted({k[1] for k in by if k[0] == dataset})
            diffs = [
                _value(by[(dataset, k, a)], key.split("-")[0] if a != b else key)
                - (_value(by[(dataset, k, b)], key) if a != b else 0.0)
                for k in splits
                if (dataset, k, a) in by and (dataset, k, b) in by
            ]
            diffs = [d for d in diffs if np.isfinite(d)]
            if not diffs:
                continue
            all_diffs += diffs
            lines.append([dataset, f"{a} − {b}", key, _mean_sd(diffs), _signs(diffs)])
        if all_diffs:
            label = f"**{a} − {b}**"
            lines.append(["**all**", label, key, _mean_sd(all_diffs), _signs(all_diffs)])
    headers = ["dataset", "a − b", "key (log_loss: lower is better)", "mean ± sd", "> / = / <"]
    return C.markdown_table(headers, lines) if lines else ""


def markdown(data):
    parts = ["# Tuning study", __doc__.split("\n\n")[0]]
    experiments = sorted({r["experiment"] for r in data["rows"]}, key=list(EXPERIMENTS).index)
    for experiment in experiments:
        parts.append(f"## {experiment}\n\n{inspect.cleandoc(EXPERIMENTS[experiment].__doc__)}")
        if experiment == "warm_steps":
            parts.append(warm_steps_table(data["rows"]))
        else:
            parts.append(summary_table(data["rows"], experiment))
            parts.append(pairs_table(data["rows"], experiment))
    return "\n\n".join(parts) + "\n"


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("experiments", nargs="*", help=f"any of {', '.join(EXPERIMENTS)}")
    parser.add_argument("--datasets", nargs="+", default=None)
    parser.add_argument("--splits", type=int, default=3)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args(argv)
    unknown = set(args.experiments) - set(EXPERIMENTS)
    if unknown:
        parser.error(f"unknown experiments {sorted(unknown)}; choose from {list(EXPERIMENTS)}")
    C.silence_convergence_warnings()
    results = Results(args.out, force=args.force)
    if not args.report_only:
        session = {
            "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "args": {k: str(v) for k, v in vars(args).items()},
        }
        results.update(lambda data: data["sessions"].append(session))
        for name in args.experiments:
            EXPERIMENTS[name](results, args.datasets, args.splits)
    args.out.with_suffix(".md").write_text(markdown(results.read()))
    print(f"wrote {args.out} and {args.out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
