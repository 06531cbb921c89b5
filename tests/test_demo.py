"""The demo, ``python -m skreg``: its tables time training, not compiling."""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# In a fresh process (a kernel's specializations appear on its dispatcher as
# they are compiled or loaded from the disk cache): the specializations that
# the demo's timed part adds after its warm-up.
SCRIPT = textwrap.dedent(
    """
    from numba.core.dispatcher import Dispatcher

    import skreg.__main__ as demo
    from skreg import _kernels

    def specializations():
        return {
            (name, str(signature))
            for name, kernel in vars(_kernels).items()
            if isinstance(kernel, Dispatcher)
            for signature in kernel.signatures
        }

    warm_up = demo.warm_up
    after_warm_up = set()

    def recorded_warm_up(split):
        seconds = warm_up(split)
        after_warm_up.update(specializations())
        return seconds

    demo.warm_up = recorded_warm_up
    demo.main(["--max-iter", "2"])
    assert after_warm_up, "the demo did not warm up"
    print("ADDED", sorted(specializations() - after_warm_up))
    """
)


def test_the_demo_compiles_nothing_while_it_times_fits():
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stderr
    assert "Kernels ready in" in run.stdout
    assert "ADDED []" in run.stdout, run.stdout[-2000:]
