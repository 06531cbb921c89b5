"""``import skreg`` survives Numba's ``appdirs`` moving: that module is a
Numba internal, and skreg names Numba's user-wide cache folder itself
(``numba_user_cache_dir``, checked against Numba's in test_numba_cache.py)."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Numba itself imports its appdirs; skreg must do without it afterwards.
CHILD = """
import sys, warnings
import numba
sys.modules["numba.misc.appdirs"] = None
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import skreg
    from skreg import _kernels, _numba_cache
print(_kernels.DISK_CACHE,
      [str(w.message) for w in caught if issubclass(w.category, _numba_cache.NumbaCacheWarning)])
"""


def test_import_succeeds_without_numbas_appdirs():
    env = {**os.environ, "PYTHONPATH": ROOT}
    done = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    # the folder beside the sources still takes the cache: no warning
    assert done.stdout.split("\n")[-2] == "True []"
