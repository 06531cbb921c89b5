"""Draw the picture shown in the README, from the gallery's first example.

Run from the repository root, with the ``docs`` extra installed::

    python docs/readme_figure.py

It runs ``docs/examples/plot_overfitting_moons.py`` and redraws three of its
panels -- no regularization, the L2 rate that closes the gap, and an L2 rate
that is too strong -- into ``docs/_static/readme_overfitting.png``.
"""

import runpy
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no window: the example's plt.show() does nothing

import matplotlib.pyplot as plt  # noqa: E402

DOCS = Path(__file__).resolve().parent
EXAMPLE = DOCS / "examples" / "plot_overfitting_moons.py"
OUTPUT = DOCS / "_static" / "readme_overfitting.png"
PANELS = {
    "no regularization": "no regularization",
    "L2, alpha=0.01": "penalty='l2', alpha=0.01",
    "L2, alpha=0.1": "penalty='l2', alpha=0.1",
}


def main():
    with warnings.catch_warnings():
        # Agg's plt.show() warns that it cannot show anything.
        warnings.simplefilter("ignore", UserWarning)
        example = runpy.run_path(str(EXAMPLE))
    plt.close("all")
    fig, axes = plt.subplots(1, len(PANELS), figsize=(9, 3.3))
    for ax, (name, title) in zip(axes, PANELS.items()):
        train, test = example["errors"][name]
        label = f"{title}\ntrain error {train:.0f} %, test error {test:.0f} %"
        example["plot_boundary"](example["models"][name], ax, label)
    fig.tight_layout()
    fig.savefig(OUTPUT, dpi=80)
    size_kb = OUTPUT.stat().st_size // 1024
    print(f"wrote {OUTPUT.relative_to(DOCS.parent)} ({size_kb} KB)")


if __name__ == "__main__":
    main()
