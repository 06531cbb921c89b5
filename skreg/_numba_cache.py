"""Where Numba keeps skreg's compiled kernels.

Numba caches compiled code beside the source (``__pycache__``) or, when that
folder is read-only, in the user's cache folder.  Where neither is writable
(a read-only install in a container without a home, say) it refuses to
define a cached function at all, and ``import skreg`` would fail.  In that
case only, Numba is pointed at a folder under the system's temporary
directory, so that fits still work.
"""

import os
import tempfile

from numba import config
from numba.misc.appdirs import AppDirs


def is_writable_dir(path):
    """Whether ``path`` exists or can be made, and takes a new file."""
    try:
        os.makedirs(path, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except OSError:
        return False
    return True


def ensure_cache_location(package_dir, fallback_root=None):
    """Set Numba's cache folder to a temporary one if it has nowhere to write.

    Returns the folder it chose, or None when Numba's own choice works (or
    the user chose one with NUMBA_CACHE_DIR).
    """
    if config.CACHE_DIR:
        return None
    candidates = (
        os.path.join(package_dir, "__pycache__"),
        AppDirs(appname="numba", appauthor=False).user_cache_dir,
    )
    if any(is_writable_dir(path) for path in candidates):
        return None
    root = fallback_root if fallback_root is not None else tempfile.gettempdir()
    config.CACHE_DIR = os.path.join(root, "skreg-numba-cache")
    return config.CACHE_DIR
