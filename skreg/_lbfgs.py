"""Full-batch L-BFGS-B (scipy) on a flat parameter vector; no estimator in sight.

The solver of ``solver="lbfgs"``, beside the stochastic solvers of
``skreg._training``, whose records (``Progress``, ``EpochReport``), listeners,
divergence rule and interrupt handling it shares: the same settings give the
same iterations, prints and warnings as scikit-learn's MLP.
"""

import time
import warnings

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning

from . import _config as C
from . import _engine as engine
from . import _interrupts as interrupts
from ._training import (
    EpochReport,
    begin_epoch,
    check_divergence,
    check_shapes,
    end_epoch,
    objective_scale,
    remedies,
    warn_interrupted,
)


def train_lbfgs(
    params,
    units,
    data,
    reg,
    settings,
    progress,
    *,
    max_iter=200,
    max_fun=15000,
    tol=1e-4,
    verbose=False,
    listeners=(),
    validation=None,
):
    """Full-batch L-BFGS-B (scipy) on the objective J, from ``params``,
    which receives the solution.  Only smooth, deterministic objectives:
    raises ValueError naming the regularizers that are not.

    ``validation``, when given, measures the parameters after every
    iteration (a ``Validation``); the scores are recorded in ``progress``,
    never used to stop (L-BFGS has no early stopping, as in scikit-learn).
    The divergence rule of the stochastic solvers applies to the end point
    (L-BFGS's iterates only descend, so an early one may stand above the
    limit on the way to a sane end)."""
    unsupported = C.SOLVERS["lbfgs"].refused_terms(reg)
    if unsupported:
        raise ValueError(
            f"solver='lbfgs' needs a smooth, deterministic objective; "
            f"{', '.join(unsupported)} {'needs' if len(unsupported) == 1 else 'need'} "
            "solver='sgd' or solver='adam'."
        )
    check_shapes(params, units, data, reg)
    grads = np.empty_like(params)
    clock = {"iteration": 0, "started": time.perf_counter()}
    scale = objective_scale(params, units, data, reg, settings)

    def objective(x):
        interrupts.check()
        params[:] = x
        blas.update()  # each evaluation is a full pass: an "epoch" to the thread policy
        value = engine.objective_and_gradient(data, params, units, reg, settings, grads)
        return value, grads.astype(np.float64)

    def record(intermediate_result):
        value = float(intermediate_result.fun)
        clock["iteration"] += 1
        progress.loss_curve.append(value)
        if verbose:
            print(f"Iteration {len(progress.loss_curve)}, loss = {value:.8f}")
        score = _record_validation(progress, validation, params, intermediate_result.x, verbose)
        now = time.perf_counter()
        report = EpochReport(clock["iteration"], value, score, now - clock["started"])
        clock["started"] = now
        if end_epoch(listeners, report):
            clock["asked_to_stop"] = True
            raise StopIteration  # scipy ends the minimization there
        begin_epoch(listeners, clock["iteration"] + 1)

    result = None
    try:
        with (
            engine.blas_threads(units, min(engine.BLOCK_ROWS, data.n_samples)) as blas,
            interrupts.kernel_calls(),
        ):
            begin_epoch(listeners, 1)
            result = scipy.optimize.minimize(
                objective,
                params.astype(np.float64),
                method="L-BFGS-B",
                jac=True,
                callback=record,
                options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
            )
    except KeyboardInterrupt:
        if not interrupts.absorbed():
            raise
        warn_interrupted()  # params hold the last point evaluated
    finally:
        for listener in listeners:
            listener.on_training_end()
    if result is None:
        progress.n_iter = clock["iteration"]
        progress.loss = progress.loss_curve[-1] if progress.loss_curve else None
        progress.best_loss = min(progress.loss_curve, default=np.inf)
        return
    # Non-finite weights count as a non-finite objective, whatever scipy reports.
    objective_at_end = float(result.fun) if np.all(np.isfinite(result.x)) else np.nan
    check_divergence(objective_at_end, scale, "the last iteration", remedies(settings, reg))
    if clock.get("asked_to_stop"):
        progress.n_iter = clock["iteration"]
    else:
        progress.n_iter = _lbfgs_iterations(result, max_iter)
    progress.loss = float(result.fun)
    progress.best_loss = min(progress.loss_curve, default=progress.loss)
    params[:] = result.x


def _record_validation(progress, validation, params, x, verbose):
    """Measure the iterate ``x`` on the validation data, if any, and record
    its score and loss; returns the score, or None."""
    if validation is None:
        return None
    params[:] = x  # the last point evaluated may be a line search's trial
    score, loss = validation()
    progress.validation_scores.append(score)
    progress.validation_loss_curve.append(loss)
    progress.best_validation_score = max(progress.best_validation_score, score)
    if verbose:
        print(f"Validation score: {score:f}")
    return score


def _lbfgs_iterations(result, max_iter):
    """The iterations scipy's L-BFGS-B ran (at most ``max_iter``), with a
    ConvergenceWarning when it ended for any reason but convergence."""
    n_iter = min(result.nit, max_iter)
    if result.status != 0:
        advice = f" Increase max_iter (max_iter={max_iter})." if n_iter == max_iter else ""
        warnings.warn(
            f"lbfgs failed to converge after {n_iter} iteration(s) "
            f"(status={result.status}): {result.message}.{advice} "
            "Scaling the data (StandardScaler) may also help.",
            ConvergenceWarning,
            stacklevel=2,
        )
    return n_iter
