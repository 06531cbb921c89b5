"""Where an epoch's time goes outside the matrix products, per shape and dtype.

For each shape of ``bench_fit.py``: the products of one epoch as ``np.dot``
does them (the floor, ``bench_fit.batch_products``), and two passes of
skreg's epoch kernel called on their own, each once per batch: Adam's update
of every parameter (``adam_step``) and the hidden layers' bias, activation
and derivative (``add_bias_activate``, relu); skreg's whole epoch in the
same run (``bench_fit``'s fit, the extra epochs of a longer one), and what
the three parts leave unexplained: the loss and output delta, the backward
pass's elementwise product, the batch gathers, the calls.

The passes are timed from Python, one call per batch: each call carries
about a microsecond of dispatch that the compiled epoch does not pay, so
the parts are upper bounds on small shapes.  Medians of ``--repeats``.

Usage: python benchmarks/epoch_parts.py [--repeats 5]   # about 5 minutes
"""

import argparse
import statistics
import sys
import time

import bench_fit as F
import numpy as np

import _common as C


def per_epoch(call, n_batches):
    """An epoch's seconds of ``call``: ``n_batches`` calls of it."""
    started = time.perf_counter()
    for _ in range(n_batches):
        call()
    return time.perf_counter() - started


def parts(shape, dtype, repeats):
    """Median seconds per epoch of the products, Adam's update, the
    activations and skreg's whole epoch, timed in turn within each repeat:
    the machine's speed drifts, and the parts must share its moments."""
    import skreg._kernels as K
    from skreg._config import settings as skreg_settings

    n_samples, _, hidden, batch = shape
    units = F.layer_units(shape)
    n_batches = -(-n_samples // batch)
    products, _ = F.batch_products(units, batch, dtype)
    rng = np.random.default_rng(0)
    n_params = sum(a * b + b for a, b in zip(units[:-1], units[1:]))
    params, grads = (rng.standard_normal(n_params).astype(dtype) for _ in range(2))
    m, v, steps = (np.zeros(n_params, dtype) for _ in range(3))
    # The estimators' defaults (relu, adam), a binary classifier's output.
    settings = skreg_settings(out_activation="logistic", batch_size=batch)

    def adam():
        K.adam_step(params, grads, m, v, steps, (0, n_params), 1e-4, 1.0, 1e-3, settings, 10)

    layers = [
        (
            rng.standard_normal((batch, width)).astype(dtype),
            rng.standard_normal(width).astype(dtype),
        )
        for width in hidden
    ]
    derivs = [np.empty_like(Z) for Z, _ in layers]

    def activations():
        for (Z, b), D in zip(layers, derivs):
            K.add_bias_activate(Z, D, b, settings.activation, settings.activation_slope)

    epoch = skreg_epoch(shape, dtype)
    timed = {"products": products, "adam": adam, "activations": activations}
    for call in timed.values():
        call()  # first calls: compilation, allocations
    runs = {name: [] for name in (*timed, "skreg")}
    for _ in range(repeats):
        for name, call in timed.items():
            runs[name].append(per_epoch(call, n_batches))
        runs["skreg"].append(epoch())
    return {name: statistics.median(values) for name, values in runs.items()}


def skreg_epoch(shape, dtype, seconds=0.5):
    """``epoch() -> seconds``, skreg's: a fit of 1 + k epochs less one of 1
    epoch, over k, with k epochs taking about ``seconds``."""
    fit = F.fitter("skreg", shape, dtype)
    k = max(2, min(50, int(seconds / max(fit(2) - fit(1), 1e-4))))
    return lambda: (fit(1 + k) - fit(1)) / k


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    C.silence_convergence_warnings()
    headers = ["shape", "dtype", "np.dot ms", "Adam ms", "activations ms"]
    headers += ["skreg ms", "skreg / np.dot", "unexplained ms"]
    rows = []
    for shape in F.SHAPES:
        for dtype in F.DTYPES:
            t = parts(shape, dtype, args.repeats)
            skreg = t.pop("skreg")
            rows.append(
                [F.shape_label(F.shape_dict(shape)), dtype]
                + [C.fmt(1e3 * t[k]) for k in ("products", "adam", "activations")]
                + [C.fmt(1e3 * skreg), C.fmt(skreg / t["products"])]
                + [C.fmt(1e3 * (skreg - sum(t.values())))]
            )
    markdown = "### An epoch's parts, ms per epoch (medians)\n\n" + C.markdown_table(headers, rows)
    markdown += "\n\n" + C.machine_caption(C.machine_info())
    return C.publish("epoch_parts", False, {"headers": headers, "rows": rows}, markdown)


if __name__ == "__main__":
    sys.exit(main())
