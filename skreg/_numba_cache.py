"""Where Numba caches skreg's kernels, and a word to the user when they compile.

Where the cache goes
--------------------
Numba keeps compiled code in the first of these folders that takes a file:
the one named by ``NUMBA_CACHE_DIR``, the ``__pycache__`` beside the source,
the user's cache folder (``~/.cache/numba`` on Linux).  Whenever one of them
works, skreg changes nothing.

Where none works (a read-only install in a container without a home, say),
Numba would refuse to define the kernels and ``import skreg`` would fail.
skreg then caches its kernels in a folder of the current user's own under the
system's temporary directory, ``skreg-numba-cache-<uid>``.  Numba reads cache
files with ``pickle``, so whoever can write into that folder could run code as
anyone who loads from it.  Before use the folder is checked: a real folder
(not a symbolic link), owned by the current user, closed to everybody else
(mode 0700, as skreg creates it), inside a temporary directory where other
users cannot swap it (not writable by them, or sticky like ``/tmp``).  If the
folder fails the check, the kernels go to a fresh private folder that lives as
long as the process, and a ``NumbaCacheWarning`` names the problem.  If no
private folder can be had, the kernels compile without a disk cache, again
with one ``NumbaCacheWarning`` naming the cause: fits work, but every new
process compiles anew.

Only skreg's kernels go to that folder.  skreg appends a cache locator to the
end of Numba's list of locators; Numba asks it only after its own have all
declined, and it answers only for source files in skreg's package folder, so
other Numba libraries in the process cache exactly as before.  That list is a
Numba internal: if this Numba version lacks it or the locator fails a trial
run, skreg compiles without a disk cache (with the warning) rather than guess.
With ``NUMBA_CACHE_LOCATOR_CLASSES`` set, Numba follows that list alone, and
skreg leaves it to it.  skreg names the user's cache folder itself, by the
rules of the copy of ``appdirs`` that Numba names it with (a Numba internal,
which skreg does not import).

First compile notice
--------------------
Compiling the kernels of one kind of fit takes up to about half a minute.
The first time in a process that a skreg kernel starts compiling (loading it
from the disk cache does not count), one notice says so, and says which
kinds of fit compile kernels of their own: an INFO record on the ``skreg`` logger when
logging is configured, else a line on stderr.  Never a warning, since test
suites often turn those into errors.
"""

import atexit
import gc
import logging
import os
import shutil
import stat
import sys
import tempfile
import warnings

import numba
from numba import config
from numba.core import event


class NumbaCacheWarning(UserWarning):
    """skreg's kernels cannot be cached on disk as usual."""


class NoDiskCache(Exception):
    """Why skreg's kernels cannot have a disk cache."""


def prepare_disk_cache(kernels_file, temp_root=None):
    """Make sure Numba can cache the kernels of ``kernels_file``, safely.

    Returns whether they get a disk cache: the ``cache=`` of their ``@njit``.
    ``temp_root`` replaces the system's temporary directory.
    """
    kernels_file = os.path.abspath(kernels_file)
    if getattr(config, "CACHE_LOCATOR_CLASSES", "") or numba_has_a_folder(kernels_file):
        return True
    try:
        add_private_locator(kernels_file, private_folder(temp_root))
    except NoDiskCache as exc:
        warnings.warn(
            f"skreg compiles its Numba kernels without a disk cache, so every new "
            f"process compiles them again: {exc}. Set NUMBA_CACHE_DIR to a folder "
            f"of your own to keep them.",
            NumbaCacheWarning,
            stacklevel=2,
        )
        return False
    return True


def numba_has_a_folder(kernels_file):
    """Whether one of the folders Numba itself would use takes a file."""
    candidates = [
        os.path.join(os.path.dirname(kernels_file), "__pycache__"),
        numba_user_cache_dir(),
    ]
    if config.CACHE_DIR:
        candidates.insert(0, config.CACHE_DIR)
    return any(is_writable_dir(path) for path in candidates)


def numba_user_cache_dir():
    """The folder of Numba's user-wide cache: ``numba`` in the user's cache
    folder, as Numba names it (with the ``appdirs`` rules it ships)."""
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA") or os.path.expanduser(r"~\AppData\Local")
        return os.path.join(local, "numba", "Cache")
    if sys.platform == "darwin":
        return os.path.expanduser("~/Library/Caches/numba")
    return os.path.join(os.getenv("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "numba")


def is_writable_dir(path):
    """Whether ``path`` exists or can be made, and takes a new file."""
    try:
        os.makedirs(path, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except OSError:
        return False
    return True


def user_folder_path(root, uid):
    """The cache folder of user ``uid`` under ``root``."""
    return os.path.join(root, f"skreg-numba-cache-{uid}")


def private_folder(root=None):
    """The current user's checked cache folder under ``root``, else a fresh one.

    ``root`` defaults to the system's temporary directory.  Raises NoDiskCache
    when no folder closed to other users can be had.
    """
    if not hasattr(os, "geteuid"):
        raise NoDiskCache("folder owners cannot be checked on this platform")
    try:
        root = tempfile.gettempdir() if root is None else root
        problem = root_problem(root)
    except OSError as exc:
        raise NoDiskCache(f"no usable temporary directory ({exc})") from exc
    if problem is not None:
        raise NoDiskCache(problem)
    path = user_folder_path(root, os.geteuid())
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass  # made before, by this user or not: the check below tells
    except OSError as exc:
        raise NoDiskCache(f"cannot create {path} ({exc.strerror})") from exc
    problem = folder_problem(path)
    if problem is None:
        return path
    warnings.warn(
        f"{problem}, so skreg caches its Numba kernels in a fresh private folder "
        f"for this process only. Remove {path}, or set NUMBA_CACHE_DIR to a "
        f"folder of your own, to keep them across processes.",
        NumbaCacheWarning,
        stacklevel=3,
    )
    return fresh_folder(root)


def root_problem(root):
    """What lets another user swap folders inside ``root``, or None."""
    info = os.stat(root)
    if info.st_uid not in (0, os.geteuid()):
        return f"the temporary directory {root} belongs to uid {info.st_uid}"
    writable_by_others = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    if writable_by_others and not info.st_mode & stat.S_ISVTX:
        return f"the temporary directory {root} is writable by other users and not sticky"
    return None


def folder_problem(path):
    """What makes ``path`` unsafe to load cache files from, or None."""
    info = os.lstat(path)  # lstat: a symbolic link must not pass as its target
    if stat.S_ISLNK(info.st_mode):
        return f"{path} is a symbolic link"
    if not stat.S_ISDIR(info.st_mode):
        return f"{path} is not a folder"
    if info.st_uid != os.geteuid():
        return f"{path} belongs to uid {info.st_uid}"
    if info.st_mode & 0o077:
        return f"{path} has mode {stat.S_IMODE(info.st_mode):04o}, open to other users"
    return None


def fresh_folder(root):
    """A new folder under ``root``, mode 0700, removed when the process ends."""
    try:
        path = tempfile.mkdtemp(prefix="skreg-numba-cache-fresh-", dir=root)
    except OSError as exc:
        raise NoDiskCache(f"cannot create a folder in {root} ({exc})") from exc
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def add_private_locator(kernels_file, folder):
    """Make Numba cache the files of the kernels' package, and no others, in ``folder``.

    Raises NoDiskCache when this Numba version does not take the locator.
    """
    # Any failure here comes from Numba internals that changed; it must end
    # in "no disk cache", never in a failed import.
    try:
        from numba.core import caching

        locators = caching.CacheImpl._locator_classes
        base = getattr(caching, "UserWideCacheLocator", None)
        if base is None:  # its name in older Numba versions
            base = caching._UserWideCacheLocator
        locator = private_locator_class(base, os.path.dirname(kernels_file), folder)
        # A trial run, as Numba will do for each kernel; any function serves,
        # only its line number is read.
        trial = locator.from_function(add_private_locator, kernels_file)
        if trial is not None:
            trial.get_source_stamp()
            trial.get_disambiguator()
        if not isinstance(locators, list):
            raise TypeError(f"locator classes held in a {type(locators).__name__}")
    except Exception as exc:
        raise NoDiskCache(
            f"Numba {numba.__version__} does not offer the cache hooks skreg uses ({exc!r})"
        ) from exc
    if trial is None:
        raise NoDiskCache(f"{folder} does not take a file")
    locators.append(locator)


def private_locator_class(base, package_dir, folder):
    """A Numba cache locator for the files of ``package_dir``, in ``folder``."""

    class PrivateFolderLocator(base):
        def __init__(self, py_func, py_file):
            super().__init__(py_func, py_file)
            subfolder = self.get_suitable_cache_subpath(py_file)
            self._private_path = os.path.join(folder, subfolder)

        def get_cache_path(self):
            return self._private_path

        @classmethod
        def from_function(cls, py_func, py_file):
            if os.path.dirname(os.path.abspath(py_file)) != package_dir:
                return None  # another library's file: not ours to place
            return super().from_function(py_func, py_file)

    return PrivateFolderLocator


def announce_first_compile(module, disk_cache):
    """Say once when Numba starts compiling a function of ``module``."""
    if disk_cache:
        message = (
            "skreg: compiling its Numba kernels for this kind of fit, up to about half a "
            "minute. Each kind compiles once and later runs load it from disk: the plain "
            "epoch (L2 and L1 terms), the epoch with group, max-norm, dropout, noise or "
            "subgradient L1, float32 input, fits that watch every epoch (callbacks, validation "
            "data, verbose) and L-BFGS each have their own. Another copy of skreg, such "
            "as a source folder beside the installed package, keeps a cache of its own."
        )
    else:
        message = (
            "skreg: compiling its Numba kernels, up to about half a minute; "
            "without a disk cache this happens again in every new process."
        )
    event.register("numba:compile", FirstCompileNotice(module, message))


def pause_collector_while_compiling(module):
    """Keep the garbage collector off the older objects while a function of
    ``module`` compiles (``CollectorPausedWhileCompiling``)."""
    event.register("numba:compile", CollectorPausedWhileCompiling(module))


class FirstCompileNotice(event.Listener):
    """Tells the user ``message`` when a function of ``module`` first compiles.

    Numba sends "numba:compile" only when it compiles, not when it loads a
    function from its disk cache.
    """

    def __init__(self, module, message):
        self.module = module
        self.message = message
        self.given = False

    def on_start(self, compile_event):
        # Numba compiles under its global compiler lock: no two threads race here.
        if self.given or compiled_module(compile_event.data) != self.module:
            return
        self.given = True
        tell_user(self.message)

    def on_end(self, compile_event):
        pass


class CollectorPausedWhileCompiling(event.Listener):
    """Keeps Python's garbage collector off the objects that existed before a
    compile of a function of ``module``, while it runs.

    Numba's compiler allocates millions of short-lived objects, and each of
    the collector's full passes during a compile walks every object of the
    process (numpy, scipy, scikit-learn and pandas: most of the heap).  Those
    passes took about 1.5 s of the 10 s that a default fit and predict
    compile (``benchmarks/compile_profile.py``).  ``gc.freeze()`` moves the
    existing objects out of the collector's view for the compile, and
    ``gc.unfreeze()`` puts them back; the compile's own garbage is collected
    as usual.  Nothing is done when the process has frozen objects of its
    own (``gc.get_freeze_count()``), since unfreezing would undo that.
    """

    def __init__(self, module):
        self.module = module
        self.depth = 0  # nested compiles: callees are compiled while typing
        self.froze = False

    def on_start(self, compile_event):
        # Under Numba's global compiler lock: one compile at a time.
        self.depth += 1
        if self.depth > 1 or compiled_module(compile_event.data) != self.module:
            return
        if gc.isenabled() and gc.get_freeze_count() == 0:
            gc.freeze()
            self.froze = True

    def on_end(self, compile_event):
        self.depth -= 1
        if self.depth == 0 and self.froze:
            gc.unfreeze()
            self.froze = False


def compiled_module(event_data):
    """The module of the function a "numba:compile" event is about."""
    dispatcher = event_data.get("dispatcher") if isinstance(event_data, dict) else None
    return getattr(getattr(dispatcher, "py_func", None), "__module__", None)


def tell_user(message):
    """INFO on the "skreg" logger if logging is set up, else a line on stderr."""
    logger = logging.getLogger("skreg")
    if logger.hasHandlers():
        logger.info(message)
    else:
        print(message, file=sys.stderr)
