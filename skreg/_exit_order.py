"""The exit order of regularization paths: the rate at which each input
feature left the network for good.

Along a path the rate grows and the penalty removes input features (their
rows of the first weight matrix become all zero).  A feature's exit rate is
the smallest rate of the grid from which on no later rate uses it: ``inf``
when the largest rate still uses it, the first rate when no rate does.  It
ranks the features by how much penalty they withstood, whatever the scale
of their weights.  The CV estimators combine their folds' exit rates
(``combined_exit_rates``) into ``path_importances_``.
"""

import numpy as np


def exit_rates(rates, active):
    """The exit rate of each feature of a path over ``rates`` (ascending,
    shape (n_rates,)), where ``active[k, j]`` tells whether rate ``k`` uses
    feature ``j`` (shape (n_rates, n_features)); shape (n_features,)."""
    rates = np.asarray(rates, dtype=np.float64)
    active = np.asarray(active, dtype=bool).reshape(len(rates), -1)
    # Rates up to the last one that uses a feature: their count is the
    # index of its exit rate, and len(rates) (inf) when the last rate uses it.
    used_then_or_later = np.logical_or.accumulate(active[::-1], axis=0)[::-1]
    return np.append(rates, np.inf)[used_then_or_later.sum(axis=0)]


def combined_exit_rates(per_path):
    """The exit rates of several paths over one grid (one row per path),
    combined per feature: the smallest rate by which at least half of the
    paths had removed the feature for good, i.e. the lower median.  Unlike
    the mean it is a rate of the grid (or inf), and no single path that
    keeps or drops a feature by chance decides it."""
    ordered = np.sort(np.asarray(per_path, dtype=np.float64), axis=0)
    return ordered[(len(ordered) - 1) // 2]
