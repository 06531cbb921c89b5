"""Blocks of input columns that the group term keeps or removes whole (``feature_groups``).

``feature_groups`` gives one label per input column (ints or strings); the
columns that share a label form a block, and the group term on the first
weight matrix takes one norm over all of the block's rows, weighted by the
square root of the block's size (docs/design.rst, "Input blocks").  Blocks
are numbered in the order of their labels' first appearance among the
columns: ``group_weights`` then holds one factor per block in that order,
and ``selected_groups_`` lists labels in it.

``"auto"`` reads the blocks from column names written the way scikit-learn's
``get_feature_names_out`` writes a one-hot encoder's (``feature_category``,
behind a ColumnTransformer ``transformer__feature_category``).  Names alone
cannot tell ``colour_red`` from a numeric column ``body_mass``: the columns
of a block are told by the fitted transformer, which ``feature_groups_from``
reads exactly.
"""

import copy
from numbers import Integral

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils.validation import check_is_fitted

# A ColumnTransformer writes ``name__feature`` by default; a one-hot encoder
# ``feature_category``.
TRANSFORMER_SEPARATOR = "__"
CATEGORY_SEPARATOR = "_"


def block_codes(feature_groups, n_features, feature_names=None):
    """``(codes, labels)``: the block of each of the ``n_features`` columns
    (int64, blocks numbered in the order of first appearance) and the blocks'
    labels (an object array); ``(empty, None)`` for None."""
    if feature_groups is None:
        return np.zeros(0, dtype=np.int64), None
    if isinstance(feature_groups, str):
        if feature_groups != "auto":
            raise ValueError(
                f"feature_groups must be None, 'auto' or one label per input column, "
                f"got {feature_groups!r}."
            )
        feature_groups = groups_from_names(feature_names)
    labels = _checked_labels(feature_groups, n_features)
    _, first, codes = np.unique(labels.astype(str), return_index=True, return_inverse=True)
    # np.unique sorts; renumber the blocks in the order they first appear.
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank[codes.ravel()].astype(np.int64), labels[np.sort(first)]


def block_norms(W, codes, n_blocks):
    """The Euclidean norm of each block's rows of W (``codes``: each row's block)."""
    squares = np.bincount(codes, weights=np.sum(np.square(W, dtype=np.float64), axis=1))
    return np.sqrt(np.pad(squares, (0, n_blocks - squares.shape[0])))


def group_norms(estimator):
    """The norm of each group's rows of a fitted ``coefs_[0]``, per square root
    of its number of rows (a block's penalty grows as that root): the rows'
    norms without ``feature_groups``.  Adaptive group weights read them."""
    W = np.asarray(estimator.coefs_[0], dtype=np.float64)
    names = getattr(estimator, "feature_names_in_", None)
    codes, labels = block_codes(estimator.feature_groups, W.shape[0], names)
    if labels is None:
        return np.linalg.norm(W, axis=1)
    n_blocks = labels.shape[0]
    return block_norms(W, codes, n_blocks) / np.sqrt(np.bincount(codes, minlength=n_blocks))


def _checked_labels(feature_groups, n_features):
    try:
        labels = np.empty(len(feature_groups), dtype=object)
        labels[:] = list(feature_groups)
    except TypeError:
        raise ValueError(
            f"feature_groups must be None, 'auto' or a sequence with one label per input "
            f"column, got {feature_groups!r}."
        ) from None
    if n_features is not None and labels.shape[0] != n_features:
        raise ValueError(
            f"feature_groups has {labels.shape[0]} labels, but X has {n_features} features: "
            "it needs one label per input column."
        )
    bad = [v for v in labels if not isinstance(v, (str, Integral)) or isinstance(v, bool)]
    if bad:
        raise ValueError(
            f"feature_groups must hold one int or str label per input column (no None or "
            f"NaN), got {bad[0]!r}."
        )
    # Blocks are told apart by their labels' text: 1 and "1" would share one.
    as_text = labels.astype(str)
    if len({(isinstance(v, str), text) for v, text in zip(labels, as_text)}) != len(set(as_text)):
        raise ValueError("feature_groups must not use an int and a str that print alike.")
    return labels


def groups_from_names(feature_names):
    """The block label of each column name written by ``get_feature_names_out``
    (``feature_category``, after a ColumnTransformer's ``transformer__``): the
    longest stem before a ``_`` that another column shares, else the name
    itself.  A guess: ``body_mass`` and ``body_fat`` share the stem ``body``."""
    if feature_names is None:
        raise ValueError(
            "feature_groups='auto' reads the blocks from the column names, but X has none: "
            "pass a pandas DataFrame (set_output(transform='pandas') on the transformer "
            "upstream), or the labels themselves (skreg.feature_groups_from)."
        )
    names = [str(name) for name in feature_names]
    counts = {}
    for name in names:
        for stem in _stems(name):
            counts[stem] = counts.get(stem, 0) + 1
    return [next((t for t in _stems(name) if counts[t] > 1), name) for name in names]


def _stems(name):
    """The prefixes of ``name`` before each ``_`` past its transformer prefix,
    longest first."""
    start = name.rfind(TRANSFORMER_SEPARATOR)
    start = 0 if start < 0 else start + len(TRANSFORMER_SEPARATOR)
    cuts = [i for i, c in enumerate(name) if c == CATEGORY_SEPARATOR and i > start]
    return [name[:i] for i in reversed(cuts)]


def feature_groups_from(transformer):
    """The ``feature_groups`` of the columns a fitted transformer outputs.

    Reads the transformer's fitted structure, not the names: a fitted
    ``OneHotEncoder`` gives one block per input feature (its categories'
    columns), a fitted ``ColumnTransformer`` the blocks of its one-hot
    encoders (found inside pipelines too) and one block per column of its
    other transformers.  A one-hot block's label is its input feature's name
    (with the ColumnTransformer's prefix when it writes one, as in
    ``cat__colour``), another column's label its output name.

    Parameters
    ----------
    transformer : OneHotEncoder, ColumnTransformer or Pipeline, fitted
        The step that makes the estimator's input.

    Returns
    -------
    feature_groups : list of str
        One label per output column of ``transformer``.
    """
    if not hasattr(transformer, "get_feature_names_out"):
        raise TypeError(
            "feature_groups_from takes a fitted transformer that names its output columns "
            "(a OneHotEncoder, a ColumnTransformer or a Pipeline ending in one), got "
            f"{type(transformer).__name__}."
        )
    check_is_fitted(transformer)
    return list(_groups_of(transformer))


def _groups_of(transformer):
    encoder = _last_step(transformer)
    if isinstance(encoder, OneHotEncoder):
        return _one_hot_groups(encoder)
    if isinstance(encoder, ColumnTransformer):
        return _column_transformer_groups(encoder)
    return [str(name) for name in transformer.get_feature_names_out()]


def _last_step(transformer):
    """A pipeline's last step that transforms (the transformer itself otherwise)."""
    steps = getattr(transformer, "steps", None)
    if steps is None:
        return transformer
    return _last_step([step for _, step in steps if step not in (None, "passthrough")][-1])


def _one_hot_groups(encoder):
    """The input feature of each of a fitted one-hot encoder's output columns:
    its output names, written with a marker for each input feature, tell
    which feature each column encodes."""
    inputs = getattr(encoder, "feature_names_in_", None)
    if inputs is None:
        inputs = [f"x{i}" for i in range(encoder.n_features_in_)]
    markers = [f"\x00{i}\x00" for i in range(len(inputs))]
    unnamed = copy.copy(encoder)  # which takes the markers in place of its names
    vars(unnamed).pop("feature_names_in_", None)
    groups = []
    for name in unnamed.get_feature_names_out(markers):
        found = [i for i, marker in enumerate(markers) if str(name).startswith(marker)]
        if len(found) != 1:
            raise ValueError(
                "feature_groups_from cannot tell which input feature a one-hot column "
                "encodes: its feature_name_combiner drops the feature's name."
            )
        groups.append(str(inputs[found[0]]))
    return groups


def _column_transformer_groups(ct):
    """One block per one-hot encoded input feature (named as the
    ColumnTransformer prefixes it), one per column of the other transformers."""
    names = [str(name) for name in ct.get_feature_names_out()]
    groups = list(names)
    for name, step, _ in ct.transformers_:
        where = ct.output_indices_[name]
        if where.stop > where.start and isinstance(_last_step(step), OneHotEncoder):
            inner = [str(column) for column in step.get_feature_names_out()]
            groups[where] = [
                _prefix(outer, column) + group  # the ColumnTransformer's prefix, if any
                for outer, column, group in zip(names[where], inner, _groups_of(step))
            ]
    return groups


def _prefix(outer, inner):
    """What a ColumnTransformer wrote before its transformer's output name."""
    return outer[: len(outer) - len(inner)] if outer.endswith(inner) else ""
