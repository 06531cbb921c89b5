"""scikit-learn's own MLP tests, run against skreg's estimators.

The suite ships with scikit-learn; it is not copied here but run in a
subprocess with a plugin that swaps the estimators in.  Drop-in parity means
every one of its tests passes (alpha aside: none of them depends on its
scaling).
"""

import os
import re
import subprocess
import sys

import pytest

SUITE = "sklearn.neural_network.tests.test_mlp"


def test_scikit_learns_mlp_suite_passes_on_skreg():
    pytest.importorskip(SUITE)
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([here, root]))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--pyargs",
            SUITE,
            "-p",
            "sklearn_suite_plugin",
            "-p",
            "no:cacheprovider",
            "-q",
            "-W",
            "ignore",
        ],
        cwd=here,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    lines = result.stdout.strip().splitlines()
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert re.search(r"\d+ passed", lines[-1]) and "failed" not in lines[-1], lines[-1]
    # The swap happened: the suite exercised skreg, not scikit-learn.
    assert "MLP estimators under test come from: skreg._classes" in result.stdout
