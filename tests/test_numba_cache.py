"""Where Numba caches skreg's kernels: a folder of the user's own or none, and
the notice when they compile."""

import gc
import importlib.util
import logging
import os
import pickle
import shutil
import stat
import subprocess
import sys
import tempfile
import warnings

import numba
import pytest
from numba.core import caching, event
from numba.core.dispatcher import Dispatcher

import skreg._numba_cache as cache
from skreg import _kernels

NOTICE = "skreg: compiling its Numba kernels"
UID_A, UID_B = 65533, 65534  # two users other than root; 65534 is "nobody"
KERNEL_SOURCE = "def kernel(x):\n    return x + 1\n"


@pytest.fixture
def numba_settings(monkeypatch):
    """Numba's cache settings, restored after the test; returns its locator list."""
    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    monkeypatch.setattr(numba.config, "CACHE_LOCATOR_CLASSES", "", raising=False)
    locators = list(caching.CacheImpl._locator_classes)
    monkeypatch.setattr(caching.CacheImpl, "_locator_classes", locators)
    return locators


@pytest.fixture
def blocker(tmp_path):
    """A regular file: no folder can be made below it, even by root."""
    path = tmp_path / "a_file"
    path.write_text("not a folder")
    return path


@pytest.fixture
def read_only_package(tmp_path, blocker, monkeypatch):
    """A kernels file that none of Numba's own cache folders takes."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__pycache__").write_text("a file where the folder would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker / "cache"))
    kernels_file = package / "_kernels.py"
    kernels_file.write_text(KERNEL_SOURCE)
    return str(kernels_file)


@pytest.fixture
def temp_root(tmp_path):
    root = tmp_path / "tmp"
    root.mkdir(mode=0o700)
    return str(root)


def function_in(path, name="kernel"):
    """``name`` from the Python file at ``path``, imported under a fresh name."""
    module_name = f"numba_cache_test_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def cache_folder_of(function):
    """Where Numba would cache ``function`` with ``cache=True``."""
    return caching.FunctionCache(function).cache_path


def assert_private(path):
    info = os.lstat(path)
    assert stat.S_ISDIR(info.st_mode)
    assert info.st_uid == os.geteuid()
    assert stat.S_IMODE(info.st_mode) == 0o700


# --------------------------------------------------------------------------
# Choosing the folder, in this process
# --------------------------------------------------------------------------


def test_keeps_numbas_choice_when_the_package_folder_is_writable(tmp_path, numba_settings):
    kernels_file = tmp_path / "_kernels.py"
    kernels_file.write_text(KERNEL_SOURCE)
    assert cache.prepare_disk_cache(str(kernels_file)) is True
    assert numba_settings == caching.CacheImpl._locator_classes  # nothing added
    assert cache_folder_of(function_in(kernels_file)) == str(tmp_path / "__pycache__")


def test_respects_a_user_chosen_folder(tmp_path, numba_settings, read_only_package):
    chosen = tmp_path / "mine"
    numba.config.CACHE_DIR = str(chosen)
    expected_locators = list(numba_settings)
    assert cache.prepare_disk_cache(read_only_package) is True
    assert numba_settings == expected_locators
    assert numba.config.CACHE_DIR == str(chosen)
    assert cache_folder_of(function_in(read_only_package)).startswith(str(chosen))


def test_read_only_package_caches_in_a_folder_of_the_users_own(
    numba_settings, read_only_package, temp_root
):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cache.prepare_disk_cache(read_only_package, temp_root) is True
    folder = cache.user_folder_path(temp_root, os.geteuid())
    assert_private(folder)
    assert cache_folder_of(function_in(read_only_package)).startswith(folder + os.sep)
    assert numba.config.CACHE_DIR == ""


def test_other_libraries_cache_where_they_did(
    tmp_path, numba_settings, read_only_package, temp_root
):
    cache.prepare_disk_cache(read_only_package, temp_root)
    writable = tmp_path / "other_lib"
    writable.mkdir()
    (writable / "mod.py").write_text(KERNEL_SOURCE)
    assert cache_folder_of(function_in(writable / "mod.py")) == str(writable / "__pycache__")
    # A library that Numba cannot cache is not taken into skreg's folder.
    read_only = tmp_path / "read_only_lib"
    read_only.mkdir()
    (read_only / "__pycache__").write_text("a file where the folder would go")
    (read_only / "mod.py").write_text(KERNEL_SOURCE)
    with pytest.raises(RuntimeError, match="no locator available"):
        cache_folder_of(function_in(read_only / "mod.py"))


def make_foreign_owned(path, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("giving a folder to another user needs root")
    os.mkdir(path, 0o700)
    os.chown(path, UID_A, UID_A)


def make_open_to_others(path, tmp_path):
    os.mkdir(path)
    os.chmod(path, 0o755)


def make_symlink(path, tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    os.symlink(target, path)


def make_file(path, tmp_path):
    with open(path, "w") as f:
        f.write("not a folder")


@pytest.mark.parametrize(
    "make_unsafe, cause",
    [
        (make_foreign_owned, f"belongs to uid {UID_A}"),
        (make_open_to_others, "has mode 0755, open to other users"),
        (make_symlink, "is a symbolic link"),
        (make_file, "is not a folder"),
    ],
)
def test_unsafe_folder_gives_way_to_a_fresh_private_one(tmp_path, temp_root, make_unsafe, cause):
    unsafe = cache.user_folder_path(temp_root, os.geteuid())
    make_unsafe(unsafe, tmp_path)
    with pytest.warns(cache.NumbaCacheWarning, match=cause) as record:
        folder = cache.private_folder(temp_root)
    assert len(record) == 1
    assert os.path.dirname(folder) == temp_root and folder != unsafe
    assert_private(folder)


def test_fresh_folder_is_used_by_the_kernels(
    numba_settings, read_only_package, temp_root, tmp_path
):
    make_open_to_others(cache.user_folder_path(temp_root, os.geteuid()), tmp_path)
    with pytest.warns(cache.NumbaCacheWarning, match="fresh private folder"):
        assert cache.prepare_disk_cache(read_only_package, temp_root) is True
    chosen = cache_folder_of(function_in(read_only_package))
    assert not chosen.startswith(cache.user_folder_path(temp_root, os.geteuid()))
    assert_private(os.path.dirname(chosen))


@pytest.mark.parametrize(
    "make_root, cause",
    [
        (lambda root: os.chmod(root, 0o777), "writable by other users and not sticky"),
        (lambda root: os.rmdir(root), "no usable temporary directory"),
    ],
)
def test_no_safe_folder_means_no_disk_cache_and_one_warning(
    numba_settings, read_only_package, temp_root, make_root, cause
):
    make_root(temp_root)
    with pytest.warns(cache.NumbaCacheWarning, match=cause) as record:
        assert cache.prepare_disk_cache(read_only_package, temp_root) is False
    assert len(record) == 1
    assert "without a disk cache" in str(record[0].message)
    assert numba_settings == caching.CacheImpl._locator_classes
    assert not os.path.exists(cache.user_folder_path(temp_root, os.geteuid()))


def test_numba_without_the_locator_list_means_no_disk_cache(
    numba_settings, read_only_package, temp_root, monkeypatch
):
    monkeypatch.delattr(caching.CacheImpl, "_locator_classes")
    with pytest.warns(cache.NumbaCacheWarning, match="cache hooks") as record:
        assert cache.prepare_disk_cache(read_only_package, temp_root) is False
    assert len(record) == 1


# --------------------------------------------------------------------------
# Whole processes: a copy of skreg that nobody may write to
# --------------------------------------------------------------------------

CHILD_AS_OTHER_USER = """
import importlib, os, sys, warnings
# The interpreter and its packages may live where other users cannot read
# (under /root, or in a virtualenv inside a private clone): load every module
# skreg needs and Numba's compiler first, then become the other user.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for name in open(os.environ["SKREG_TEST_PRELOAD"]).read().split():
        try:
            importlib.import_module(name)
        except Exception:
            pass  # a module of the test process that stands alone no more
import numba
numba.njit(lambda x: x + 1)(1)
os.setgroups([])
os.setgid({uid})
os.setuid({uid})
"""

# The top-level packages whose modules a child preloads for the other user:
# skreg's dependencies, and the standard library (the interpreter's own files
# may be out of reach too).
PRELOADED = {"numpy", "scipy", "sklearn", "numba", "llvmlite", "joblib", "threadpoolctl"}


def write_preload_list(path):
    """The modules this process has loaded from ``PRELOADED`` and the standard
    library (it imported skreg whole), one per line."""
    tops = PRELOADED | set(sys.stdlib_module_names)
    names = sorted(name for name in list(sys.modules) if name.split(".")[0] in tops)
    with open(path, "w") as f:
        f.write("\n".join(names))


CHILD_IMPORTS_THE_COPY = """
import sys
sys.path.insert(0, {install!r})
import numpy as np
from skreg import _kernels
assert _kernels.__file__.startswith({install!r})
"""

CALL_ONE_KERNEL = "print(_kernels.layer_offsets(np.array([2, 3, 1]))[0].tolist())\n"


@pytest.fixture
def installed_copy(blocker):
    """skreg copied into a root-owned folder, and a shared temporary directory.

    Both live under the system's temporary directory, which other users can
    reach (pytest's own folder is closed to them).
    """
    install = tempfile.mkdtemp(prefix="skreg-install-")
    shared_tmp = tempfile.mkdtemp(prefix="skreg-shared-tmp-")
    try:
        os.chmod(install, 0o755)
        os.chmod(shared_tmp, 0o1777)
        package = os.path.join(install, "skreg")
        shutil.copytree(
            os.path.dirname(_kernels.__file__),
            package,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        preload = os.path.join(install, "preload.txt")
        write_preload_list(preload)
        # Not even root can cache beside the package or in a home folder.
        with open(os.path.join(package, "__pycache__"), "w") as f:
            f.write("a file where the folder would go")
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("NUMBA_", "XDG_", "PYTHONWARNINGS"))
        }
        env.update(HOME=str(blocker), TMPDIR=shared_tmp, SKREG_TEST_PRELOAD=preload)
        yield install, shared_tmp, env
    finally:
        shutil.rmtree(install, ignore_errors=True)
        shutil.rmtree(shared_tmp, ignore_errors=True)


def run_child(code, env, uid=None):
    if uid is not None:
        code = CHILD_AS_OTHER_USER.format(uid=uid) + code
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def needs_two_users():
    if not hasattr(os, "setuid") or os.geteuid() != 0:
        pytest.skip("running as two different users needs root (to call setuid)")


def test_no_safe_folder_still_imports_and_runs(installed_copy):
    install, shared_tmp, env = installed_copy
    os.chmod(shared_tmp, 0o777)  # open to all and not sticky: no folder is safe
    child = run_child(CHILD_IMPORTS_THE_COPY.format(install=install) + CALL_ONE_KERNEL, env)
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == "[0, 6, 9]"
    assert child.stderr.count("NumbaCacheWarning") == 1
    assert "not sticky" in child.stderr
    assert os.listdir(shared_tmp) == []


class CreatesFile:
    """Unpickling it creates the file ``path``: a stand-in for any code."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def plant_index_files(folder, kernels_file, marker):
    """What an attacker writes into a cache folder: one index file per kernel."""
    subfolder = os.path.join(folder, caching._CacheLocator.get_suitable_cache_subpath(kernels_file))
    os.makedirs(subfolder)
    payload = pickle.dumps(CreatesFile(marker))
    python = f"py{sys.version_info[0]}{sys.version_info[1]}{sys.abiflags}"
    for kernel in vars(_kernels).values():
        if isinstance(kernel, Dispatcher):
            code = kernel.py_func.__code__
            name = f"_kernels.{code.co_name}-{code.co_firstlineno}.{python}.nbi"
            with open(os.path.join(subfolder, name), "wb") as f:
                f.write(payload)


def give_to(top, uid, mode):
    for here, folders, files in os.walk(top):
        for name in [here] + [os.path.join(here, n) for n in folders + files]:
            os.chown(name, uid, uid)
            os.chmod(name, mode)


def test_a_folder_planted_by_another_user_is_not_loaded(installed_copy):
    needs_two_users()
    install, shared_tmp, env = installed_copy
    marker = os.path.join(shared_tmp, "planted_code_ran")
    planted = cache.user_folder_path(shared_tmp, UID_B)
    # User A prepares user B's cache folder, open to all, full of index files.
    plant_index_files(planted, os.path.join(install, "skreg", "_kernels.py"), marker)
    give_to(planted, UID_A, 0o777)

    fit = """
from skreg import RegularizedMLPRegressor
X = np.arange(20.0).reshape(10, 2)
model = RegularizedMLPRegressor(hidden_layer_sizes=(2,), solver="lbfgs", max_iter=2)
model.fit(X, X[:, 0])
print("fit ok")
"""
    child = run_child(CHILD_IMPORTS_THE_COPY.format(install=install) + fit, env, UID_B)
    assert not os.path.exists(marker)
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == "fit ok"
    assert f"belongs to uid {UID_A}" in child.stderr


def test_a_second_user_can_import_after_the_first(installed_copy):
    needs_two_users()
    install, shared_tmp, env = installed_copy
    code = CHILD_IMPORTS_THE_COPY.format(install=install) + CALL_ONE_KERNEL
    for uid in (UID_A, UID_B):
        child = run_child(code, env, uid)
        assert child.returncode == 0, child.stderr
        assert child.stdout.strip() == "[0, 6, 9]"
        assert "NumbaCacheWarning" not in child.stderr
    for uid in (UID_A, UID_B):
        folder = cache.user_folder_path(shared_tmp, uid)
        info = os.lstat(folder)
        assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (uid, 0o700)
        (subfolder,) = os.listdir(folder)
        assert any(n.endswith(".nbi") for n in os.listdir(os.path.join(folder, subfolder)))


# --------------------------------------------------------------------------
# The first compile notice
# --------------------------------------------------------------------------

COMPILE_ANOTHER_LIBRARY_THEN_TWO_KERNELS = """
import sys
import numba
import numpy as np
numba.njit(lambda x: x + 1)(1)
print("another library compiled", file=sys.stderr, flush=True)
from skreg import _kernels
_kernels.layer_offsets(np.array([2, 3, 1]))
_kernels.softplus(0.5)
"""


def test_notice_once_on_a_cold_cache_and_never_on_a_warm_one(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "empty_cache")
    cold = run_child(COMPILE_ANOTHER_LIBRARY_THEN_TWO_KERNELS, env)
    assert cold.returncode == 0, cold.stderr
    assert cold.stderr.count(NOTICE) == 1
    assert cold.stderr.index("another library compiled") < cold.stderr.index(NOTICE)
    warm = run_child(COMPILE_ANOTHER_LIBRARY_THEN_TWO_KERNELS, env)
    assert warm.returncode == 0, warm.stderr
    assert NOTICE not in warm.stderr


def test_notice_goes_to_the_skreg_logger_when_logging_is_set_up(caplog, tmp_path):
    other = tmp_path / "other_lib.py"
    other.write_text(KERNEL_SOURCE)
    notice = cache.FirstCompileNotice(__name__, "compiling")
    event.register("numba:compile", notice)
    try:
        with caplog.at_level(logging.INFO, logger="skreg"):
            numba.njit(function_in(other))(1)
            assert caplog.records == []
            numba.njit(lambda x: x + 1)(1)
            numba.njit(lambda x: x + 2)(1)
    finally:
        event.unregister("numba:compile", notice)
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        ("skreg", logging.INFO, "compiling")
    ]


class RecordsFreezes(cache.CollectorPausedWhileCompiling):
    """Notes the collector's frozen-object count when each compile starts,
    and whether the listener froze them."""

    def __init__(self, module):
        super().__init__(module)
        self.frozen_at_start = []
        self.froze_at_start = []

    def on_start(self, compile_event):
        super().on_start(compile_event)
        self.frozen_at_start.append(gc.get_freeze_count())
        self.froze_at_start.append(self.froze)


def compile_with(listener, *functions):
    event.register("numba:compile", listener)
    try:
        for function in functions:
            numba.njit(function)(1)
    finally:
        event.unregister("numba:compile", listener)


def test_the_collector_skips_older_objects_only_while_our_functions_compile(tmp_path):
    other = tmp_path / "other_lib.py"
    other.write_text(KERNEL_SOURCE)
    assert gc.get_freeze_count() == 0
    listener = RecordsFreezes(__name__)
    compile_with(listener, function_in(other), lambda x: x + 3)
    # another module's function: nothing frozen; ours: the older objects
    assert listener.froze_at_start == [False, True]
    assert listener.frozen_at_start[0] == 0
    assert listener.frozen_at_start[-1] > 0
    assert gc.get_freeze_count() == 0  # all back in the collector's view
    assert gc.isenabled()


def test_objects_the_process_froze_itself_stay_frozen():
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        listener = RecordsFreezes(__name__)
        compile_with(listener, lambda x: x + 4)
        assert listener.froze_at_start == [False]
        # still frozen afterwards (a few frozen objects may have been freed)
        assert gc.get_freeze_count() > 0.9 * frozen
    finally:
        gc.unfreeze()


@pytest.mark.parametrize("xdg", [None, "/somewhere/cache"])
def test_numba_user_cache_dir_is_numbas(xdg, monkeypatch):
    """skreg names Numba's user-wide cache folder itself (the module that
    Numba names it with is not public): the same folder."""
    appdirs = pytest.importorskip("numba.misc.appdirs")
    if xdg is None:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    numbas = appdirs.AppDirs(appname="numba", appauthor=False).user_cache_dir
    assert cache.numba_user_cache_dir() == numbas
