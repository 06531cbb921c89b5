"""Feature selection: skreg's CV recipe and stability selection against L1, LassoNet and a forest.

Each table is split once 75/25 (seed 0, stratified for classification); each
resample draws 80 % of the training rows (seed = resample number).  On a
resample a method sees the rows through the real-data benchmark's
preprocessing (scaling, one-hot encoding of the categorical columns, fitted on
the resample alone; a regression target standardized on it) and selects
transformed columns.  A column of the table counts as selected when one of its
transformed columns is (a categorical column is a block of one-hot columns).

Per (table, resample, method) a row records the columns selected, the
categorical blocks split (some of their one-hot columns kept, others dropped),
the wall time of the selection, and the test score of skreg's plain network at
its defaults refit on the selected transformed columns (a constant model when
none is).  On the synthetic tables, whose informative columns are known, it
also records precision, recall and the share of noise columns dropped.  The
markdown gives per method and table the means over resamples and the mean
pairwise Jaccard similarity of the selected columns across resamples.

Methods: the CV estimator on a ``group_alpha`` path at its defaults (the
feature-selection recipe), the same with ``feature_groups`` set to the one-hot
blocks (``--blocks``; skipped, with a note, where the estimator has no such
parameter), ``StabilitySelection`` at its defaults (and with the blocks:
``stability_blocks``, with ``--blocks``), L1 logistic regression or
the lasso tuned by CV, LassoNet's CV (a child process with one torch thread,
killed after ``--lassonet-timeout``) and ``SelectFromModel`` on a random
forest.  Stability selection and LassoNet, the slow ones, run on fewer
resamples and tables (``--stability-resamples``, ``--stability-datasets``,
``--lassonet-resamples``, ``--lassonet-datasets``).

Usage::

    python benchmarks/bench_selection.py --quick          # smoke test, small tables
    python benchmarks/bench_selection.py --blocks         # everything, about 30 minutes here
    python benchmarks/bench_selection.py --report-only    # rebuild the markdown
"""

import argparse
import json
import os
import sys
import time
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

import _selection_report as report
import bench_real as R
import numpy as np

import _common as C

N_JOBS = 2
TEST_SIZE = 0.25
RESAMPLE_FRACTION = 0.8
REAL_TABLES = ("boston", "hitters", "college", "attrition", "hmda")
STABILITY_TABLES = [  # the slow methods' tables by default
    *("clf_independent", "clf_correlated", "reg_independent", "reg_correlated"),
    *("clf_categorical", "boston", "hitters"),
]
LASSONET_TABLES = ["clf_independent", "reg_independent"]


# --------------------------------------------------------------------------
# Synthetic tables with known informative columns
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Synthetic:
    name: str
    task: str  # "class" or "reg"
    n_numeric: int
    n_informative: int  # among the numeric columns
    rho: float = 0.0  # correlation of neighbouring columns (Toeplitz: rho ** |i - j|)
    n_categorical: int = 0
    n_informative_categorical: int = 0
    n_samples: int = 800

    @property
    def is_classifier(self):
        return self.task == "class"


# fmt: off
SYNTHETIC = (
    Synthetic("clf_independent", "class", 50, 6),
    Synthetic("clf_correlated", "class", 50, 6, rho=0.7),
    Synthetic("reg_independent", "reg", 50, 6),
    Synthetic("reg_correlated", "reg", 50, 6, rho=0.7),
    Synthetic("clf_categorical", "class", 30, 4, n_categorical=8, n_informative_categorical=3),
)
# fmt: on
SYNTHETIC_BY_NAME = {t.name: t for t in SYNTHETIC}
LEVELS = (3, 4, 5, 6)  # levels of the categorical columns, in turn


def _nonlinear_signal(Z):
    """A sum of one term per informative column, in turn linear, sine,
    absolute value and square, plus the product of the first two columns:
    a network and a forest can find them all, a linear model not every one."""
    terms = (lambda z: z, lambda z: 1.5 * np.sin(2 * z), lambda z: np.abs(z) - 0.8)
    terms += (lambda z: 0.5 * (z**2 - 1),)
    out = sum(terms[j % 4](Z[:, j]) for j in range(Z.shape[1]))
    return out + 0.5 * Z[:, 0] * Z[:, 1]


def synthetic_data(spec, seed=0):
    """(X as a DataFrame, y, the informative columns' names)."""
    import pandas as pd

    rng = np.random.RandomState(seed)
    p = spec.n_numeric
    cov = spec.rho ** np.abs(np.subtract.outer(np.arange(p), np.arange(p)))
    X = rng.multivariate_normal(np.zeros(p), cov, size=spec.n_samples)
    # informative columns spread over the table, each with correlated noise neighbours
    informative = np.linspace(0, p - 1, spec.n_informative).round().astype(int)
    signal = _nonlinear_signal(X[:, informative])
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(p)])
    truth = [f"x{j}" for j in informative]
    for j in range(spec.n_categorical):
        levels = LEVELS[j % len(LEVELS)]
        codes = rng.randint(levels, size=spec.n_samples)
        frame[f"c{j}"] = np.array([f"l{k}" for k in range(levels)])[codes]
        if j < spec.n_informative_categorical:
            effects = rng.permutation(np.linspace(-1.2, 1.2, levels))
            signal = signal + effects[codes]
            truth.append(f"c{j}")
    signal = (signal - signal.mean()) / signal.std()
    if spec.is_classifier:  # logistic noise, classes balanced
        latent = 2.5 * signal + rng.logistic(size=spec.n_samples)
        y = (latent > np.median(latent)).astype(int)
    else:  # R² of the signal about 0.8
        y = signal + 0.5 * rng.randn(spec.n_samples)
    return frame, y, truth


@dataclass
class Problem:
    name: str
    kind: str  # "synthetic" or "real"
    is_classifier: bool
    X: object
    y: np.ndarray
    truth: object = None  # names of the informative columns (synthetic only)


def load_problem(name, quick=False):
    if name in SYNTHETIC_BY_NAME:
        spec = SYNTHETIC_BY_NAME[name]
        if quick:
            spec = Synthetic(**{**vars(spec), "n_samples": 300})
        X, y, truth = synthetic_data(spec)
        return Problem(name, "synthetic", spec.is_classifier, X, y, truth)
    data = R.load_table(R.TABLES_BY_NAME[name], R.QUICK_ROWS if quick else R.MAX_ROWS)
    return Problem(name, "real", data.table.is_classifier, data.X, data.y)


def resample(problem, seed):
    """(train rows of this resample, the fixed test part): 80 % of the
    fixed training part, drawn with ``seed``."""
    from sklearn.model_selection import train_test_split

    strat = problem.y if problem.is_classifier else None
    X_tr, X_te, y_tr, y_te = train_test_split(
        problem.X, problem.y, test_size=TEST_SIZE, stratify=strat, random_state=0
    )
    rng = np.random.RandomState(seed)
    rows = np.sort(rng.choice(len(y_tr), int(RESAMPLE_FRACTION * len(y_tr)), replace=False))
    return X_tr.iloc[rows], y_tr[rows], X_te, y_te


# --------------------------------------------------------------------------
# Methods: (transformed X, y, block labels, seed) -> mask over X's columns
# --------------------------------------------------------------------------


def _skreg_cv(is_classifier, seed, **params):
    from skreg import RegularizedMLPClassifierCV, RegularizedMLPRegressorCV

    cls = RegularizedMLPClassifierCV if is_classifier else RegularizedMLPRegressorCV
    return cls(path_param="group_alpha", n_jobs=N_JOBS, random_state=seed, **params)


def select_skreg_cv(X, y, blocks, seed, is_classifier):
    """The CV estimator on a group_alpha path at its defaults (the recipe)."""
    return R._input_mask(_skreg_cv(is_classifier, seed).fit(X, y), X.shape[1])


class Skipped(Exception):
    """The method does not apply here; the message says why."""


def _one_hot_blocks(blocks):
    """The block labels as ``feature_groups`` takes them; Skipped when every
    column is a block of its own (no categorical column)."""
    if len(set(blocks)) == len(blocks):
        raise Skipped("no categorical column")
    return np.asarray(blocks)


def select_skreg_cv_blocks(X, y, blocks, seed, is_classifier):
    """The recipe with one group per original column (its one-hot block)."""
    model = _skreg_cv(is_classifier, seed)
    if "feature_groups" not in model.get_params():
        raise Skipped("this skreg has no feature_groups parameter")
    model.set_params(feature_groups=_one_hot_blocks(blocks))
    return R._input_mask(model.fit(X, y), X.shape[1])


def select_stability(X, y, blocks, seed, is_classifier, network=None):
    """StabilitySelection at its defaults (its estimator chosen from y, or
    ``network``); also what the largest rate alone selects (the row
    "stability_top_rate", free)."""
    from skreg.feature_selection import StabilitySelection

    model = StabilitySelection(network, n_jobs=N_JOBS, random_state=seed).fit(X, y)
    extras = {
        "alpha_min": model.alpha_min_,
        "bound_at_largest_rate": float(model.false_selection_bounds_[-1]),
        "mean_n_selected": float(model.mean_n_selected_),
        "top_rate_mask": model.selection_probabilities_[:, -1] >= model.threshold,
    }
    return model.get_support(), extras


def select_stability_blocks(X, y, blocks, seed, is_classifier):
    """StabilitySelection on the network it would choose from y, with one
    group per original column (its one-hot block)."""
    from skreg import RegularizedMLPClassifier, RegularizedMLPRegressor

    cls = RegularizedMLPClassifier if is_classifier else RegularizedMLPRegressor
    network = cls(feature_groups=_one_hot_blocks(blocks))
    support, extras = select_stability(X, y, blocks, seed, is_classifier, network=network)
    # the row "stability_top_rate" is the defaults' alone
    return support, {"mean_n_selected": extras["mean_n_selected"]}


def select_l1_linear(X, y, blocks, seed, is_classifier):
    """L1 logistic regression (saga, 10 C, 5 folds) or the lasso (5 folds)."""
    from sklearn.linear_model import LassoCV, LogisticRegressionCV

    if is_classifier:
        model = LogisticRegressionCV(
            l1_ratios=(1.0,), solver="saga", cv=5, scoring=None, max_iter=2000,
            n_jobs=N_JOBS, random_state=seed, use_legacy_attributes=False,
        )  # fmt: skip
    else:
        model = LassoCV(cv=5, n_jobs=N_JOBS, max_iter=5000, random_state=seed)
    return R._input_mask(model.fit(X, y), X.shape[1])


def select_lassonet(X, y, blocks, seed, is_classifier):
    """LassoNet's CV at its defaults, one hidden layer of 100 units as skreg's."""
    from lassonet import LassoNetClassifierCV, LassoNetRegressorCV

    cls = LassoNetClassifierCV if is_classifier else LassoNetRegressorCV
    model = cls(hidden_dims=R.HIDDEN, verbose=0, random_state=seed, torch_seed=seed)
    return R._input_mask(model.fit(X, y), X.shape[1])


def select_forest(X, y, blocks, seed, is_classifier):
    """SelectFromModel (importance above the mean) on 100 trees."""
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.feature_selection import SelectFromModel

    cls = RandomForestClassifier if is_classifier else RandomForestRegressor
    forest = cls(n_estimators=100, n_jobs=N_JOBS, random_state=seed)
    return SelectFromModel(forest).fit(X, y).get_support()


@dataclass(frozen=True)
class Method:
    name: str
    select: object
    slow: str = ""  # "stability" or "lassonet": its own resamples and tables
    isolated: bool = False
    blocks: bool = False  # with feature_groups: runs with --blocks only


METHODS = (
    Method("skreg_cv", select_skreg_cv),
    Method("skreg_cv_blocks", select_skreg_cv_blocks, blocks=True),
    Method("stability", select_stability, slow="stability"),
    Method("stability_blocks", select_stability_blocks, slow="stability", blocks=True),
    Method("l1_linear_cv", select_l1_linear),
    Method("lassonet_cv", select_lassonet, slow="lassonet", isolated=True),
    Method("forest_sfm", select_forest),
)
METHODS_BY_NAME = {m.name: m for m in METHODS}
DISPLAY_ORDER = [m.name for m in METHODS]
DISPLAY_ORDER.insert(DISPLAY_ORDER.index("stability") + 1, "stability_top_rate")


# --------------------------------------------------------------------------
# One (table, resample, method)
# --------------------------------------------------------------------------


def refit_score(X_tr, y_tr, X_te, y_te, mask, is_classifier, seed):
    """Test score of skreg's network at its defaults on the selected columns."""
    from sklearn.dummy import DummyClassifier, DummyRegressor

    from skreg import RegularizedMLPClassifier, RegularizedMLPRegressor

    if not mask.any():
        model = DummyClassifier() if is_classifier else DummyRegressor()
        return float(model.fit(X_tr, y_tr).score(X_te, y_te))
    cls = RegularizedMLPClassifier if is_classifier else RegularizedMLPRegressor
    model = cls(hidden_layer_sizes=R.HIDDEN, random_state=seed)
    return float(model.fit(X_tr[:, mask], y_tr).score(X_te[:, mask], y_te))


def selection_counts(selected_columns, sources, mask, problem):
    """Blocks split and, against the truth, precision, recall and noise dropped."""
    out = {}
    cats = R.categorical_columns(problem.X)
    split = [c for c in cats if 0 < mask[sources == c].sum() < (sources == c).sum()]
    out["n_blocks"] = len([c for c in cats if (sources == c).sum() > 1])
    out["blocks_split"] = len(split)
    if problem.truth is not None:
        truth, chosen = set(problem.truth), set(selected_columns)
        noise = set(problem.X.columns) - truth
        out["precision"] = len(chosen & truth) / len(chosen) if chosen else None
        out["recall"] = len(chosen & truth) / len(truth)
        out["noise_dropped"] = 1 - len(chosen & noise) / len(noise)
        out["informative_blocks_kept"] = sum(c in chosen for c in cats if c in truth)
        out["informative_blocks"] = sum(c in truth for c in cats)
    return out


def measure(problem, seed, method):
    """The row of one method on one resample (raises on failure, or Skipped)."""
    X_tr, y_tr, X_te, y_te = resample(problem, seed)
    prep = R.preprocessor(X_tr).fit(X_tr)
    sources = R.source_columns(prep)
    Xt_tr, Xt_te = prep.transform(X_tr), prep.transform(X_te)
    if not problem.is_classifier:  # a standardized target: R² does not change
        mean, sd = y_tr.mean(), y_tr.std()
        y_tr, y_te = (y_tr - mean) / sd, (y_te - mean) / sd
    load = list(os.getloadavg())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        started = time.perf_counter()
        mask = method.select(Xt_tr, y_tr, sources, seed, problem.is_classifier)
        seconds = time.perf_counter() - started
    mask, extras = mask if isinstance(mask, tuple) else (mask, {})
    mask = np.asarray(mask, dtype=bool)
    selected = sorted(set(sources[mask]))
    if "top_rate_mask" in extras:  # the same counts for another selected set
        top = extras.pop("top_rate_mask")
        scored = refit_score(Xt_tr, y_tr, Xt_te, y_te, top, problem.is_classifier, seed)
        top_columns = sorted(set(sources[top]))
        extras["top_rate"] = {
            "selected": top_columns,
            "n_transformed_selected": int(top.sum()),
            "score": scored,
            **selection_counts(top_columns, sources, top, problem),
        }
    C.silence_convergence_warnings()
    return {
        "status": "ok",
        "seconds": seconds,
        "load": load,
        "n_train": len(y_tr),
        "n_columns": problem.X.shape[1],
        "n_transformed": len(sources),
        "n_transformed_selected": int(mask.sum()),
        "selected": selected,
        **selection_counts(selected, sources, mask, problem),
        "score": refit_score(Xt_tr, y_tr, Xt_te, y_te, mask, problem.is_classifier, seed),
        **extras,
        "warnings": sorted({f"{w.category.__name__}: {str(w.message)[:160]}" for w in caught}),
    }


def _child(name, quick, seed, method_name, threads, queue):
    """Runs in a spawned process: one isolated selection, its row on ``queue``."""
    C.silence_convergence_warnings()
    import torch

    torch.set_num_threads(threads)
    try:
        queue.put(measure(load_problem(name, quick), seed, METHODS_BY_NAME[method_name]))
    except Exception as exc:  # reported as the row's status
        queue.put({"status": f"error: {type(exc).__name__}: {exc}"})


def isolated(problem, seed, method, args):
    """``measure`` in a child process, killed after ``args.lassonet_timeout`` s."""
    child_args = (problem.name, args.quick, seed, method.name, args.lassonet_threads)
    return R.run_in_child(_child, child_args, args.lassonet_timeout)


def run_one(problem, seed, method, args):
    base = {"dataset": problem.name, "resample": seed, "method": method.name}
    if method.isolated:
        return {**base, **isolated(problem, seed, method, args)}
    try:
        return {**base, **measure(problem, seed, method)}
    except Skipped as why:
        return {**base, "status": f"skipped: {why}"}
    except Exception as exc:
        traceback.print_exc()
        return {**base, "status": f"error: {type(exc).__name__}: {exc}"}


# --------------------------------------------------------------------------
# The run, its results file (appended row by row, resumable) and markdown
# --------------------------------------------------------------------------


def n_resamples(method, problem, args):
    """How many resamples ``method`` runs on ``problem``."""
    if method.blocks and not args.blocks:
        return 0
    if method.slow:
        runs = problem.name in getattr(args, f"{method.slow}_datasets")
        return getattr(args, f"{method.slow}_resamples") if runs else 0
    return args.resamples


def describe(problem):
    prep = R.preprocessor(problem.X).fit(problem.X)
    return {
        "kind": problem.kind,
        "task": "class" if problem.is_classifier else "reg",
        "rows": len(problem.y),
        "columns": problem.X.shape[1],
        "categorical": len(R.categorical_columns(problem.X)),
        "transformed": len(R.source_columns(prep)),
        "informative": None if problem.truth is None else list(problem.truth),
    }


def run(args, results):
    done = {(r["dataset"], r["resample"], r["method"]) for r in results["rows"]}
    for name in args.datasets:
        problem = load_problem(name, args.quick)
        results["datasets"][name] = describe(problem)
        for method in (METHODS_BY_NAME[m] for m in args.methods):
            for seed in range(n_resamples(method, problem, args)):
                key = (name, seed, method.name)
                if key in done and not args.force:
                    continue
                row = run_one(problem, seed, method, args)
                results["rows"] = [
                    r for r in results["rows"] if (r["dataset"], r["resample"], r["method"]) != key
                ]
                results["rows"].append(row)
                R.save_results(args.out, results)
                print(_row_line(row), flush=True)
                if row["status"].startswith("skipped"):
                    break  # the same reason holds on every resample


def _row_line(row):
    detail = ""
    if row["status"] == "ok":
        detail = (
            f", {len(row['selected'])}/{row['n_columns']} columns, recall {row.get('recall')}, "
            f"noise dropped {report.fmt(row.get('noise_dropped'))}, "
            f"score {report.fmt(row['score'])}"
        )
    return (
        f"{row['dataset']} resample {row['resample']} {row['method']}: {row['status']}"
        f"{detail}, {row.get('seconds', float('nan')):.1f} s, load {row.get('load', [0])[0]:.2f}"
    )


def load_results(path):
    if path.exists():
        return json.loads(path.read_text())
    return {"benchmark": "bench_selection", "sessions": [], "datasets": {}, "rows": []}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    names = [t.name for t in SYNTHETIC] + list(REAL_TABLES)
    choices = names + [n for n in R.TABLES_BY_NAME if n not in names]
    parser.add_argument("--datasets", nargs="+", choices=choices, default=names)
    parser.add_argument("--methods", nargs="+", choices=list(METHODS_BY_NAME), default=None)
    parser.add_argument("--resamples", type=int, default=3)
    parser.add_argument("--stability-resamples", type=int, default=2)
    parser.add_argument("--stability-datasets", nargs="*", default=STABILITY_TABLES)
    parser.add_argument("--lassonet-resamples", type=int, default=1)
    parser.add_argument("--lassonet-datasets", nargs="*", default=LASSONET_TABLES)
    parser.add_argument("--lassonet-timeout", type=float, default=360.0)
    parser.add_argument("--lassonet-threads", type=int, default=1)
    help = "also the CV recipe and stability selection with feature_groups = the one-hot blocks"
    parser.add_argument("--blocks", action="store_true", help=help)
    help = f"2 resamples of 300-row synthetic tables, {R.QUICK_ROWS}-row real ones, no LassoNet"
    parser.add_argument("--quick", action="store_true", help=help)
    parser.add_argument("--out", type=Path, default=None, help="the JSON (markdown beside it)")
    parser.add_argument("--force", action="store_true", help="refit rows already in the JSON")
    parser.add_argument("--report-only", action="store_true", help="only rebuild the markdown")
    args = parser.parse_args(argv)
    if args.quick:
        args.resamples = args.stability_resamples = 2
        args.lassonet_resamples = 0
        args.stability_datasets = args.datasets
    args.methods = args.methods or list(METHODS_BY_NAME)
    args.out = args.out or C.results_path("bench_selection", args.quick, ".json")
    return args


def warm_up():
    """Load skreg's kernels before any timed selection."""
    problem = load_problem("clf_categorical", quick=True)
    measure(problem, 0, METHODS_BY_NAME["skreg_cv"])
    problem = load_problem("reg_independent", quick=True)
    measure(problem, 0, METHODS_BY_NAME["skreg_cv"])


def main(argv=None):
    args = parse_args(argv)
    C.silence_convergence_warnings()
    results = load_results(args.out)
    if not args.report_only:
        session = {"started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": C.machine_info()}
        # The output file by name alone: the results speak of the repository only.
        session["args"] = {k: str(v) for k, v in vars(args).items()} | {"out": args.out.name}
        results["sessions"].append(session)
        if args.blocks and "feature_groups" not in _skreg_cv(True, 0).get_params():
            print("--blocks: this skreg's CV estimators have no feature_groups parameter; "
                  "skreg_cv_blocks is skipped.", flush=True)  # fmt: skip
        warm_up()
        run(args, results)
        session["machine"]["load_average_at_end"] = list(os.getloadavg())
    text = report.markdown(results, DISPLAY_ORDER, RESAMPLE_FRACTION)
    R.write_report(args, results, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
