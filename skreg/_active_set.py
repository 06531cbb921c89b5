"""Training and predicting without the input features the penalty removed.

Once L1 or group lasso has set every outgoing weight of an input feature to
zero (its row of W_1), an epoch that keeps the feature multiplies its column
of X by zeros in the forward pass, and computes a gradient for its row that
the proximal step throws away again.  ``ActiveInputs`` runs such epochs on a
reduced problem instead, as glmnet does for linear models: the rows of W_1
still in use, the matching columns of X, the rest of the network as it is.

Before each epoch it checks every removed feature's optimality condition on
a sample of rows, the condition under which the proximal steps keep its row
at zero, and brings back any feature that fails it.  As long as no feature
comes back, training gives the weights that training without skipping gives,
up to rounding (the matrix products sum in another order); the optimizer
moments of a removed feature stay as they were when it was removed.  See
docs/design.rst, "Active set".
"""

import numpy as np
import scipy.sparse as sp

from . import _config as C
from . import _kernels as K
from . import _network

# Skip only when at least this share of the input features is removed:
# below it, building the reduced problem costs about what the skipped
# products save (benchmarks/bench_sparse.py).
MIN_REMOVED_SHARE = 0.25
# The removed features' condition is checked each epoch on a twentieth of
# the rows, at least this many (all of them when there are fewer): its cost
# (forward passes on those rows, and the removed rows' gradient) then stays a
# few percent of a full epoch, at a noise in the gradient like two or three
# minibatches'.
MIN_CHECK_ROWS = 500
# The reduced problem's columns are kept from epoch to epoch while they hold
# every feature in use and at most this share of removed ones: copying the
# columns of X anew each time a feature flickers out costs more than the
# products of a few zero rows.
MAX_IDLE_SHARE = 0.25


def applies(reg):
    """Whether a fit may skip removed inputs: the input layer has an L1 or
    group term (which zero rows exactly), and no input dropout or noise
    (their random draws run over every input value, and skipping some would
    change the others)."""
    sparsifying = reg.l1[0] > 0 or reg.group[0] > 0
    return bool(sparsifying and reg.dropout[0] == 0 and reg.input_noise == 0)


def removed_inputs(first_layer):
    """The input features whose row of W_1 is all zero."""
    return ~np.any(first_layer != 0, axis=1)


class ReducedProblem:
    """An epoch's problem restricted to the ``active`` input features: the
    input matrix, flat parameters, optimizer moments, layer widths and
    regularization the kernels take."""

    def __init__(self, active, inputs, params, moments, units, reg):
        self.active, self.inputs = active, inputs
        self.params, self.moments, self.units, self.reg = params, moments, units, reg


class ActiveInputs:
    """Reduced epochs for one training run; ``problem(order)`` gives the next
    epoch's, or None when the full problem is better, and ``write_back``
    copies its results into the full parameters and moments."""

    def __init__(self, params, units, data, reg, settings):
        self.params, self.units, self.data = params, units, data
        self.reg, self.settings = reg, settings
        self._cached_active = None  # the columns of the last reduced problem
        self._cached_matrix = None  # X restricted to them (array or CSR)
        self._cached_inputs = None  # the same, as the kernels take it

    def problem(self, order, moments):
        first_layer = _network.views(self.params, self.units)[0][0]
        removed = removed_inputs(first_layer)
        if removed.mean() < MIN_REMOVED_SHARE:
            return None
        removed[removed] = self._still_removed(np.flatnonzero(removed), order)
        if removed.mean() < MIN_REMOVED_SHARE or removed.all():
            return None
        active = self._columns_for(np.flatnonzero(~removed))
        units = self.units.copy()
        units[0] = active.size
        factors = self.reg.group_factors
        reg = self.reg._replace(group_factors=factors[active]) if factors.size else self.reg
        return ReducedProblem(
            active,
            self._inputs(active),
            self._reduce(self.params, active),
            np.stack([self._reduce(row, active) for row in moments]),
            units,
            reg,
        )

    def write_back(self, problem, moments):
        """The reduced epoch's parameters and moments into the full ones."""
        self._expand(problem.params, problem, self.params)
        for reduced, full in zip(problem.moments, moments):
            self._expand(reduced, problem, full)

    # -- the removed features' condition -------------------------------------

    def _still_removed(self, candidates, order):
        """Which of the removed features ``candidates`` satisfy the condition
        that keeps their row at zero: the data gradient g of the row,
        soft-thresholded by the L1 strength, has a norm of at most the row's
        group threshold.

        g is estimated on a sample of rows, and the squared norm of a mean
        over a sample exceeds the squared norm of the mean by what the
        samples scatter (in every one of the row's dimensions, here hundreds):
        that excess, estimated from the sample itself, is taken off, so that
        the check is not noisier than the optimizer's own averages."""
        gradient, scatter = self._removed_rows_gradient(candidates, order)
        l1 = 0.0 if self.reg.l1_subgradient else self.reg.l1[0]
        excess = np.maximum(np.abs(gradient) - l1, 0.0)
        squared = np.maximum(np.sum(excess**2, axis=1) - scatter, 0.0)
        factors = self.reg.group_factors
        threshold = self.reg.group[0] * np.sqrt(self.units[1])
        threshold = threshold * (factors[candidates] if factors.size else 1.0)
        return np.sqrt(squared) <= threshold

    def _removed_rows_gradient(self, candidates, order):
        """The data gradient of the rows of W_1 of the features ``candidates``
        (all zero) on the first rows of this epoch's order, and what its
        squared norm owes to the sample's scatter; the passes run on the
        network without those features."""
        n = self.data.n_samples
        rows = np.sort(order[: min(n, max(MIN_CHECK_ROWS, n // 20))])
        kept = np.ones(self.units[0], dtype=bool)
        kept[candidates] = False
        sample = _matrix(self.data.inputs, self.units[0])[rows]
        units = self.units.copy()
        units[0] = np.count_nonzero(kept)
        gradient = np.empty((candidates.size, self.units[1]), dtype=self.params.dtype)
        scatter = np.empty(candidates.size, dtype=self.params.dtype)
        K.removed_inputs_gradient(
            C.input_matrix(_columns(sample, np.flatnonzero(kept)), self.params.dtype),
            C.input_matrix(_columns(sample, candidates), self.params.dtype),
            np.ascontiguousarray(self.data.Y[rows]),
            np.ascontiguousarray(self.data.sample_weight[rows]),
            self._reduce(self.params, np.flatnonzero(kept)),
            units,
            self.settings,
            gradient,
            scatter,
        )
        return gradient, scatter

    # -- reduced and full layouts ------------------------------------------

    def _columns_for(self, active):
        """The features the reduced problem trains, in the order of its
        columns: the last epoch's, followed by any feature of ``active`` that
        came back, unless that leaves more than ``MAX_IDLE_SHARE`` of them
        removed; then ``active`` itself."""
        cached = self._cached_active
        if cached is None:
            return active
        columns = np.concatenate([cached, active[~np.isin(active, cached)]])
        if columns.size - active.size > MAX_IDLE_SHARE * columns.size:
            return active
        return columns

    def _inputs(self, columns):
        """The input matrix of ``columns``: the last one as it is, or with
        columns appended (a copy of the small matrix rather than a gather
        from the whole of X), or built anew."""
        cached = self._cached_active
        if cached is not None and np.array_equal(columns, cached):
            return self._cached_inputs
        full = _matrix(self.data.inputs, self.units[0])
        if cached is not None and np.array_equal(columns[: cached.size], cached):
            added = _columns(full, columns[cached.size :])
            stack = sp.hstack if sp.issparse(full) else np.hstack
            matrix = stack([self._cached_matrix, added])
        else:
            matrix = _columns(full, columns)
        self._cached_active, self._cached_matrix = columns, matrix
        self._cached_inputs = C.input_matrix(matrix, self.params.dtype)
        return self._cached_inputs

    def _reduce(self, flat, active):
        """A flat vector laid out as ``params`` in its reduced form: the
        active rows of W_1, then everything after W_1 unchanged (the flat
        layout puts W_1 first)."""
        width = self.units[1]
        first = flat[: self.units[0] * width].reshape(self.units[0], width)
        return np.concatenate([first[active].ravel(), flat[self.units[0] * width :]])

    def _expand(self, reduced, problem, full):
        width = self.units[1]
        n_first = problem.active.size * width
        first = full[: self.units[0] * width].reshape(self.units[0], width)
        first[problem.active] = reduced[:n_first].reshape(-1, width)
        full[self.units[0] * width :] = reduced[n_first:]


def _matrix(inputs, n_features):
    """The kernels' input-matrix tuple as an array or a CSR matrix (no copy)."""
    dense, data, indices, indptr = inputs
    if indptr.shape[0] == 0:
        return dense
    return sp.csr_matrix((data, indices, indptr), shape=(indptr.shape[0] - 1, n_features))


def _columns(matrix, columns):
    """The given columns of an array (C-ordered, as the kernels take it) or
    of a CSR matrix."""
    if sp.issparse(matrix):
        return matrix[:, columns]
    return np.take(matrix, columns, axis=1)


def reduced_network(coefs):
    """For prediction: ``(columns, coefs)`` without the removed input
    features when they are at least ``MIN_REMOVED_SHARE`` of them (and not
    all), else ``(None, coefs)``."""
    removed = removed_inputs(coefs[0])
    if removed.mean() < MIN_REMOVED_SHARE or removed.all():
        return None, coefs
    columns = np.flatnonzero(~removed)
    return columns, [np.ascontiguousarray(coefs[0][columns]), *coefs[1:]]


# Rows per chunk of a prediction that leaves out removed features: the copy of
# the kept columns is made a chunk at a time, so that memory stays bounded.
PREDICT_CHUNK_ROWS = 8192


def row_chunks(X, columns):
    """``(rows, X_rows)`` pairs covering X: one pair with all of X when
    ``columns`` is None, else chunks of rows restricted to ``columns``."""
    if columns is None:
        yield slice(0, X.shape[0]), X
        return
    for start in range(0, X.shape[0], PREDICT_CHUNK_ROWS):
        rows = slice(start, min(start + PREDICT_CHUNK_ROWS, X.shape[0]))
        yield rows, _columns(X[rows], columns)
