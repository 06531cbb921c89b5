"""A network that no longer reads its input predicts the best constant.

When a weight matrix is all zero (the penalty removed every input feature, or
every unit of a layer), the network's output is the same for every row: its
only free parameter left that matters is the output layer's intercept.  The
gradient moves that intercept slowly (one learning rate per update, and a path
stops training a network whose inputs are gone), so it is set here in closed
form to the constant that minimizes the data loss: the weighted mean of the
targets for squared error, its log for Poisson, the log-odds of the class
frequencies for logistic outputs and their logs for softmax.
"""

import numpy as np

from ._pruning import prune_network

# Class frequencies of 0 or 1 have infinite log-odds: they are clipped to this
# distance from 0 and 1 (a log-odds of about +-27.6).
_SMALLEST_FREQUENCY = 1e-12


def is_constant(coefs, skip=None):
    """Whether some weight matrix is all zero, and the skip connection's
    matrix ``skip`` too when there is one, so the output ignores X."""
    if skip is not None and np.any(skip):
        return False
    return any(not np.any(W) for W in coefs)


def constant_output(coefs, intercepts, settings):
    """The output layer's pre-activation of a constant network (see
    ``is_constant``), the same for every row: its last intercept once every
    hidden unit is folded away (``prune_network``)."""
    return prune_network(coefs, intercepts, settings)[1][-1]


def best_constant_intercepts(coefs, intercepts, settings, out_activation, Y, sample_weight):
    """``intercepts`` with the output layer's replaced so that a constant
    network (see ``is_constant``) outputs the loss-minimizing constant for
    targets ``Y`` (2-D, as the trainer takes them) weighted by
    ``sample_weight``."""
    current = constant_output(coefs, intercepts, settings).astype(np.float64)
    wanted = _best_pre_activation(out_activation, Y, sample_weight)
    intercepts = [b.copy() for b in intercepts]
    output = intercepts[-1]
    intercepts[-1] = (output + (wanted - current)).astype(output.dtype)
    return intercepts


def _best_pre_activation(out_activation, Y, sample_weight):
    """The output layer's pre-activation that minimizes the weighted data loss
    among constants."""
    weights = np.asarray(sample_weight, dtype=np.float64)
    mean = weights @ np.asarray(Y, dtype=np.float64) / weights.sum()
    if out_activation == "identity":
        return mean
    frequency = np.clip(mean, _SMALLEST_FREQUENCY, 1.0 - _SMALLEST_FREQUENCY)
    if out_activation == "logistic":
        return np.log(frequency) - np.log1p(-frequency)
    if out_activation in ("softmax", "exp"):
        # softmax is unchanged by a shift common to every output
        return np.log(np.maximum(mean, _SMALLEST_FREQUENCY))
    raise ValueError(f"Unknown output activation {out_activation!r}.")
