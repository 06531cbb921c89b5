"""``import skreg`` survives Numba's ``appdirs`` moving: that module is a
Numba internal, used only to name Numba's user-wide cache folder."""

import os
import subprocess
import sys

import skreg._numba_cache as cache

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
print(_numba_cache.AppDirs is None, _kernels.DISK_CACHE,
      [str(w.message) for w in caught if issubclass(w.category, _numba_cache.NumbaCacheWarning)])
"""


def test_import_succeeds_without_numbas_appdirs():
    env = {**os.environ, "PYTHONPATH": ROOT}
    done = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    # the folder beside the sources still takes the cache: no warning
    assert done.stdout.split("\n")[-2] == "True True []"


def test_without_appdirs_the_other_folders_decide(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "AppDirs", None)
    monkeypatch.setattr(cache.config, "CACHE_DIR", "")
    writable = tmp_path / "ok" / "_kernels.py"
    writable.parent.mkdir()
    assert cache.numba_has_a_folder(str(writable))
    blocked = tmp_path / "blocked" / "_kernels.py"
    blocked.parent.mkdir()
    (blocked.parent / "__pycache__").write_text("a file where the folder would go")
    assert not cache.numba_has_a_folder(str(blocked))
