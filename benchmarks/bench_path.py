"""Choosing the regularization rate: the CV estimators' warm-started paths
against grid searches.

Same rates and folds, ``n_jobs=2``: the L1 CV estimator on its grid
``alphas_``; ``GridSearchCV`` over skreg with ``alpha`` in those rates, and
over scikit-learn's MLP (L2) with ``alpha * B`` (B its batch size: it divides
its penalty by it).  With known informative features, also the input layer's
``group_alpha`` path (each rule, with and without adaptive weights) and its
grid.  Each fit timed once, wall clock, after the loky workers started.

Usage: python benchmarks/bench_path.py [--quick] [--problems digits ...]
"""

import argparse
import sys
import time
from dataclasses import dataclass

import numpy as np

import _common as C

FULL = dict(n_alphas=10, folds=5, hidden=(100,), classifier_epochs=200, regressor_epochs=1000)
QUICK = dict(n_alphas=4, folds=3, hidden=(16,), classifier_epochs=30, regressor_epochs=300)
N_JOBS = 2
PROBLEM_NAMES = ("digits", "noisy_classification", "friedman1")
# A selected model may score this much below the grid's choice (half a point).
SCORE_TOLERANCE = 0.005
SPEEDUP_OVER_SKREG_GRID = 3.0
SPEEDUP_OVER_SKLEARN_GRID = 10.0
NOISE_DROPPED = 0.8


@dataclass
class Problem:
    name: str
    description: str
    is_classifier: bool
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    n_informative: int | None  # the first n_informative columns; None: unknown
    settings: dict  # network and training settings shared by every method
    metric: str


def raw_data(name, quick):
    from sklearn.datasets import load_digits, make_classification, make_friedman1

    if name == "digits":
        X, y = load_digits(return_X_y=True)
        if quick:
            X, y = X[:600], y[:600]
        return X, y, None, True, "digits (10 classes, 64 pixels)"
    if name == "noisy_classification":
        n_samples, n_features, n_informative = (400, 30, 5) if quick else (2000, 100, 10)
        X, y = make_classification(
            n_samples, n_features, n_informative=n_informative, n_redundant=0, n_repeated=0,
            shuffle=False, random_state=C.SEED,
        )  # fmt: skip
        first = f"make_classification, {n_informative} informative features of {n_features}"
        return X, y, n_informative, True, first + " (the first ones), 2 classes"
    if name == "friedman1":
        n_samples, n_features = (400, 20) if quick else (2000, 50)
        X, y = make_friedman1(
            n_samples=n_samples, n_features=n_features, noise=1.0, random_state=C.SEED
        )
        description = f"make_friedman1, noise 1.0, 5 informative features of {n_features}"
        return X, y, 5, False, description
    raise ValueError(f"unknown problem {name!r}")


def load_problem(name, cfg, quick):
    """A fixed 75/25 split (stratified for classifiers), standardized on its train part."""
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y, n_informative, is_classifier, description = raw_data(name, quick)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y if is_classifier else None, random_state=C.SEED
    )
    scaler = StandardScaler().fit(X_train)
    epochs = cfg["classifier_epochs"] if is_classifier else cfg["regressor_epochs"]
    settings = dict(hidden_layer_sizes=cfg["hidden"], max_iter=epochs, random_state=C.SEED)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    data = (X_train, X_test, y_train, y_test)
    metric = "accuracy" if is_classifier else "r2"
    return Problem(name, description, is_classifier, *data, n_informative, settings, metric)


def skreg_estimator(problem, **params):
    from skreg import RegularizedMLPClassifier, RegularizedMLPRegressor

    cls = RegularizedMLPClassifier if problem.is_classifier else RegularizedMLPRegressor
    return cls(**problem.settings, **params)


def path_estimator(problem, cfg, **params):
    from skreg import RegularizedMLPClassifierCV, RegularizedMLPRegressorCV

    cls = RegularizedMLPClassifierCV if problem.is_classifier else RegularizedMLPRegressorCV
    return cls(**problem.settings, alphas=cfg["n_alphas"], cv=cfg["folds"], n_jobs=N_JOBS, **params)


def sklearn_estimator(problem):
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    cls = MLPClassifier if problem.is_classifier else MLPRegressor
    return cls(**problem.settings)


def n_iter_of(estimator, X, y):
    return estimator.n_iter_


def features_kept(estimator, X=None, y=None):
    """Input features in use (scikit-learn's MLP has no ``n_features_selected_``)."""
    return int(np.any(estimator.coefs_[0] != 0, axis=1).sum())


def grid_search(estimator, param_name, values, problem, cfg):
    from sklearn.model_selection import GridSearchCV

    scoring = {"score": problem.metric, "n_iter": n_iter_of, "n_features": features_kept}
    grid, folds = {param_name: list(values)}, cfg["folds"]
    return GridSearchCV(estimator, grid, cv=folds, n_jobs=N_JOBS, scoring=scoring, refit="score")


def describe_model(model, problem):
    coefs = model.coefs_
    active = np.any(coefs[0] != 0, axis=1)
    importance = np.linalg.norm(coefs[0], axis=1)
    out = {
        "test_score": float(model.score(problem.X_test, problem.y_test)),
        "train_score": float(model.score(problem.X_train, problem.y_train)),
        "exact_zeros": float(np.mean(np.concatenate([W.ravel() == 0 for W in coefs]))),
        "features_kept": int(active.sum()),
        "n_features": int(active.size),
    }
    k = problem.n_informative
    if k is not None:
        out["informative_kept"] = float(active[:k].mean())
        out["noise_dropped"] = float(1.0 - active[k:].mean())
        out["informative_weight_share"] = float(importance[:k].sum() / importance.sum())
    return out


def method_result(seconds, rates, chosen, curves, folds, final_epochs, model, problem):
    scores, n_iter, features = curves
    fold_epochs = int(round(np.sum(n_iter) * folds))
    return {
        "seconds": seconds,
        "rates": [float(r) for r in rates],
        "chosen_rate": float(rates[chosen]),
        "cv_scores": scores.tolist(),
        "cv_score": float(scores[chosen]),
        "mean_n_iter": n_iter.tolist(),
        "mean_features_kept": features.tolist(),
        "fold_epochs": fold_epochs,
        "final_epochs": final_epochs,
        "epochs": fold_epochs + final_epochs,
        **describe_model(model, problem),
    }


def path_result(search, seconds, problem, cfg):
    results, folds = search.cv_results_, cfg["folds"]
    replay = replay_full_path(search, problem)
    chosen = int(np.flatnonzero(search.alphas_ == search.alpha_)[0])
    fold_seconds = float(np.sum(results["mean_fit_time"]) * folds)
    curves = [results[k] for k in ("mean_test_score", "mean_n_iter", "mean_n_features_selected")]
    final = int(np.sum(replay["n_iter"]))
    out = method_result(seconds, search.alphas_, chosen, curves, folds, final, search, problem)
    out["fit_time"] = float(search.fit_time_)
    out["time_split"] = {
        "setup_seconds": seconds - float(search.fit_time_),
        "fold_paths_step_seconds": fold_seconds,
        "fold_path_step_seconds_each": fold_seconds / folds,
        "full_path_alone_seconds": replay["seconds"],
        "workers_busy": (fold_seconds + replay["seconds"]) / (N_JOBS * search.fit_time_),
        "replay_matches_fit": int(np.sum(replay["n_iter"][: chosen + 1])) == search.n_iter_,
    }
    return out


def replay_full_path(search, problem):
    """The CV estimator's full-data path again, alone: its epochs and time."""
    from skreg import regularization_path

    base = skreg_estimator(problem, penalty=search.penalty, l1_ratio=search.l1_ratio)
    started = time.perf_counter()
    path = regularization_path(
        problem.X_train, problem.y_train, estimator=base, path_param=search.path_param,
        alphas=search.alphas_, path_max_iter=search.path_max_iter,
        warm_start=search.path_warm_start,
        group_weights="adaptive" if search.group_weights == "adaptive" else None,
    )  # fmt: skip
    return {"seconds": time.perf_counter() - started, "n_iter": path.n_iter}


def grid_result(search, seconds, problem, cfg, rates):
    results, best = search.cv_results_, search.best_estimator_
    curves = [results[k] for k in ("mean_test_score", "mean_test_n_iter", "mean_test_n_features")]
    folds, final = cfg["folds"], int(best.n_iter_)
    return method_result(seconds, rates, search.best_index_, curves, folds, final, best, problem)


def _load_kernels(pause):
    """Load (or compile) the kernels the fits use, so that no timed fit pays for it."""
    import warnings

    from sklearn.datasets import make_classification
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    from skreg import RegularizedMLPClassifier, RegularizedMLPRegressor

    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y = make_classification(n_samples=60, n_features=6, random_state=0)
    for params in (dict(penalty="l1"), dict(group_alpha=[1e-3, 0.0])):
        RegularizedMLPClassifier(hidden_layer_sizes=(4,), max_iter=2, **params).fit(X, y)
        RegularizedMLPRegressor(hidden_layer_sizes=(4,), max_iter=2, **params).fit(X, 1.0 * y)
    MLPClassifier(hidden_layer_sizes=(4,), max_iter=2).fit(X, y)
    MLPRegressor(hidden_layer_sizes=(4,), max_iter=2).fit(X, 1.0 * y)
    time.sleep(pause)  # keeps this worker busy, so that every worker gets a task


def warm_up():
    """Load the kernels here and in started loky workers; the workers' start-up seconds."""
    from joblib import Parallel, delayed

    _load_kernels(0.0)
    from skreg import RegularizedMLPClassifierCV

    X, y = C.classification_data(120, 6, np.float64)
    tiny = RegularizedMLPClassifierCV(hidden_layer_sizes=(4,), alphas=3, cv=2, max_iter=2)
    tiny.set_params(n_jobs=N_JOBS).fit(X, y)
    started = time.perf_counter()
    Parallel(n_jobs=N_JOBS)(delayed(_load_kernels)(0.5) for _ in range(N_JOBS))
    return time.perf_counter() - started - 0.5


def timed_fit(estimator, problem):
    started = time.perf_counter()
    estimator.fit(problem.X_train, problem.y_train)
    return estimator, time.perf_counter() - started


def run_path(problem, cfg, **params):
    search, seconds = timed_fit(path_estimator(problem, cfg, **params), problem)
    return path_result(search, seconds, problem, cfg), search


def run_grid(estimator, param_name, values, rates, problem, cfg):
    search, seconds = timed_fit(grid_search(estimator, param_name, values, problem, cfg), problem)
    return grid_result(search, seconds, problem, cfg, rates)


def run_problem(problem, cfg):
    """The L1 path, its two grids, then (informative features known) the group path and grid."""
    out = {}
    out["path_l1"], path = run_path(problem, cfg, penalty="l1")
    rates = path.alphas_
    l1 = skreg_estimator(problem, penalty="l1")
    out["grid_skreg_l1"] = run_grid(l1, "alpha", rates, rates, problem, cfg)
    # B: scikit-learn's batch size on the smallest training part a fit sees (a fold's)
    batch = min(200, len(problem.y_train) * (cfg["folds"] - 1) // cfg["folds"])
    grid = run_grid(sklearn_estimator(problem), "alpha", rates * batch, rates, problem, cfg)
    out["grid_sklearn"] = grid
    if problem.n_informative is not None:
        searches = []
        for kind, weights in (("", None), ("adaptive_", "adaptive")):
            for rule in ("1se", "best"):
                params = dict(path_param="group_alpha", selection_rule=rule, group_weights=weights)
                out[f"path_group_{kind}{rule}"], search = run_path(problem, cfg, **params)
                searches.append(search)
        group_rates = searches[0].alphas_  # the plain 1se path's grid
        n_hidden = len(problem.settings["hidden_layer_sizes"])
        values = [[float(r)] + [0.0] * n_hidden for r in group_rates]  # input layer alone
        grid = run_grid(skreg_estimator(problem), "group_alpha", values, group_rates, problem, cfg)
        out["grid_skreg_group"] = grid
    return {"sklearn_batch_size": batch, "methods": out}


LABELS = {
    "path_l1": "CV estimator, L1 path",
    "grid_skreg_l1": "GridSearchCV, skreg L1",
    "grid_sklearn": "GridSearchCV, scikit-learn MLP (L2, alpha x B)",
    "path_group_1se": "CV estimator, group path, 1se",
    "path_group_best": "CV estimator, group path, best",
    "path_group_adaptive_1se": "CV estimator, group path, adaptive weights, 1se",
    "path_group_adaptive_best": "CV estimator, group path, adaptive weights, best",
    "grid_skreg_group": "GridSearchCV, skreg group_alpha",
}
# Which CV-estimator fit each method's time is compared with.
BASELINE = {name: "path_l1" for name in ("path_l1", "grid_skreg_l1", "grid_sklearn")}
BASELINE.update({name: "path_group_1se" for name in LABELS if name not in BASELINE})


def percent(value):
    return "-" if value is None else f"{100 * value:.0f} %"


def methods_table(problem_result):
    methods = problem_result["methods"]
    headers = ["method", "wall s", "time / CV estimator's", "rate chosen (skreg's convention)"]
    headers += ["CV score", "test score", "train score", "exact zeros", "features kept"]
    headers += ["informative kept", "noise dropped", "informative share of input weights"]
    rows = []
    for name, r in methods.items():
        base = methods[BASELINE[name]]["seconds"]
        row = [LABELS[name], f"{r['seconds']:.2f}", f"{r['seconds'] / base:.2f}", rate_cell(r)]
        row += [f"{r[k]:.4f}" for k in ("cv_score", "test_score", "train_score")]
        row += [percent(r["exact_zeros"]), f"{r['features_kept']}/{r['n_features']}"]
        row += [percent(r.get(k)) for k in ("informative_kept", "noise_dropped")]
        row += [percent(r.get("informative_weight_share"))]
        rows.append(row + [f"{r['epochs']} ({r['fold_epochs']} + {r['final_epochs']})"])
    return C.markdown_table(headers + ["epochs (folds + final)"], rows)


def rate_cell(result):
    """The chosen rate, starred when it is an end of the grid."""
    edge = result["chosen_rate"] in (result["rates"][0], result["rates"][-1])
    return f"{result['chosen_rate']:.3g}" + ("*" if edge else "")


def curves_table(problem_result):
    # does the warm-started path see what cold fits see?
    methods = problem_result["methods"]
    rows = []
    for name in ("path_l1", "grid_skreg_l1", "grid_sklearn", "path_group_1se", "grid_skreg_group"):
        if name in methods:
            r = methods[name]
            rates = ", ".join(f"{a:.2g}" for a in r["rates"])
            scores = " ".join(f"{s:.3f}" for s in r["cv_scores"])
            epochs = " ".join(f"{n:.0f}" for n in r["mean_n_iter"])
            features = " ".join(f"{n:.0f}" for n in r["mean_features_kept"])
            rows.append([LABELS[name], rates, scores, epochs, features])
    headers = ["method", "rates (ascending)", "mean CV score per rate", "mean epochs per rate"]
    return C.markdown_table(headers + ["mean features kept per rate"], rows)


def time_split_caption(problem_result):
    parts = []
    for name in ("path_l1", "path_group_1se"):
        r = problem_result["methods"].get(name)
        if r is None:
            continue
        s = r["time_split"]
        parts.append(
            f"{LABELS[name]}: {r['seconds']:.2f} s wall = {s['setup_seconds']:.2f} s "
            f"validation and automatic grid + {r['fit_time']:.2f} s of paths "
            f"(fit_time_); the fold paths' steps took {s['fold_path_step_seconds_each']:.2f} s "
            f"each ({s['fold_paths_step_seconds']:.2f} s in all), the full-data path "
            f"{s['full_path_alone_seconds']:.2f} s when replayed alone; the {N_JOBS} workers "
            f"were busy {percent(s['workers_busy'])} of fit_time_"
            + ("" if s["replay_matches_fit"] else " (the replay did NOT match the fit's path)")
            + "."
        )
    return " ".join(parts)


def targets(results):
    out = []
    for name, problem_result in results.items():
        m = problem_result["methods"]
        path, grid = m["path_l1"], m["grid_skreg_l1"]
        for label, key, want in (
            ("skreg", "grid_skreg_l1", SPEEDUP_OVER_SKREG_GRID),
            ("scikit-learn", "grid_sklearn", SPEEDUP_OVER_SKLEARN_GRID),
        ):
            text = f"{name}: GridSearchCV {label} time / CV estimator time"
            out.append(C.target(text, m[key]["seconds"] / path["seconds"], want))
        score = path["test_score"] - grid["test_score"]
        text = f"{name}: CV estimator test score - GridSearchCV skreg's"
        out.append(C.target(text, score, -SCORE_TOLERANCE))
        for rule in ("1se", "best", "adaptive_1se", "adaptive_best"):
            group, text = m.get(f"path_group_{rule}"), f"{name}: group path ({rule})"
            if group is None:
                continue
            score = group["test_score"] - m["grid_skreg_group"]["test_score"]
            out.append(
                C.target(f"{text} test score - GridSearchCV group_alpha's", score, -SCORE_TOLERANCE)
            )
            kept, dropped = group["informative_kept"], group["noise_dropped"]
            out.append(C.target(f"{text} informative features kept", kept, 1.0))
            out.append(C.target(f"{text} noise features dropped", dropped, NOISE_DROPPED))
    return out


def problem_heading(problem, cfg, batch):
    kind = "classifier" if problem.is_classifier else "regressor"
    hidden = problem.settings["hidden_layer_sizes"]
    return (
        f"#### {problem.name}: {problem.description}; {len(problem.y_train)} train / "
        f"{len(problem.y_test)} test rows; {kind}, hidden {hidden}, "
        f"max_iter {problem.settings['max_iter']}; score {problem.metric}; "
        f"scikit-learn alpha = rate x {batch}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small data, 4 rates, 3 folds")
    parser.add_argument("--problems", nargs="+", choices=PROBLEM_NAMES, default=list(PROBLEM_NAMES))
    args = parser.parse_args(argv)
    C.silence_convergence_warnings()
    cfg, info = dict(QUICK if args.quick else FULL), C.machine_info()
    startup = warm_up()
    results, sections = {}, []
    for name in args.problems:
        problem = load_problem(name, cfg, args.quick)
        result = run_problem(problem, cfg)
        results[name] = result
        sections += [
            problem_heading(problem, cfg, result["sklearn_batch_size"]),
            methods_table(result),
            curves_table(result),
            time_split_caption(result),
        ]
    goals = targets(results)
    header = (
        f"### Choosing the rate: CV estimator against grid searches ({cfg['n_alphas']} rates, "
        f"{cfg['folds']} folds, n_jobs={N_JOBS}, one timed fit each)"
    )
    notes = (
        "Data standardized beforehand on the training split. Grid searches in loky "
        f"processes; their start-up with the kernels loaded ({startup:.2f} s, once per "
        "session) is not in their times. CV estimators in threads, unless said. * = the "
        "chosen rate is an end of the grid. Epochs: "
        "all the folds' epochs + the final model's (a grid's refit; the CV estimator's "
        "whole full-data path, replayed alone to count them)."
    )
    markdown = "\n\n".join(
        [header, *sections, "#### Targets", C.targets_table(goals), notes, C.machine_caption(info)]
    )
    payload = dict(benchmark="bench_path", quick=args.quick, machine=info)
    payload["settings"] = {**cfg, **vars(args), "n_jobs": N_JOBS}
    payload.update(loky_startup_seconds=startup, results=results, targets=goals)
    return C.publish("bench_path", args.quick, payload, markdown)


if __name__ == "__main__":
    sys.exit(main())
