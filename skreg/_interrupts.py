"""Ctrl-C ends the whole call, as a KeyboardInterrupt, in every thread that works for it.

A plain fit stops after its current epoch and keeps its model (as scikit-learn's
MLP does).  A path or a CV fit is many trainings, some in worker threads, and
Python delivers a signal to the main thread alone: there a fit that absorbed the
interrupt would let the call go on with its next rate or fold.  So a call of
many trainings shares a ``StopFlag``: within ``propagating(flag)`` a training
that meets an interrupt sets the flag and lets the KeyboardInterrupt through,
and a training that finds the flag set raises one before its next epoch.
``shared(flag)`` is what the calling thread holds around its workers: Ctrl-C
there sets the flag too.

Numba turns an interrupt that arrives while a kernel returns a tuple of arrays
into a ``SystemError`` ("returned a result with an exception set") whose cause
is the KeyboardInterrupt; ``surfaces_as_keyboard_interrupt`` gives it back.
"""

import functools
import signal
import threading
from contextlib import contextmanager

_local = threading.local()


class StopFlag:
    """Set once any training of a call meets an interrupt or an error."""

    def __init__(self):
        self._event = threading.Event()

    def set(self):
        self._event.set()

    def is_set(self):
        return self._event.is_set()

    def __reduce__(self):
        # A task shipped to another process gets a flag of its own: threads
        # are all this flag can reach; other processes get Ctrl-C themselves.
        return (StopFlag, ())


@contextmanager
def propagating(flag):
    """Trainings in this thread let interrupts through, and stop at ``flag``."""
    previous = getattr(_local, "flag", None)
    _local.flag = flag
    try:
        yield flag
    except BaseException:
        flag.set()  # the call is over: the other threads need not finish
        raise
    finally:
        _local.flag = previous


def check():
    """Raise KeyboardInterrupt when another part of this call was interrupted."""
    flag = getattr(_local, "flag", None)
    if flag is not None and flag.is_set():
        raise KeyboardInterrupt


def absorbed():
    """Whether a training that met an interrupt stops quietly with its model
    (a plain fit), rather than letting it through (within ``propagating``)."""
    flag = getattr(_local, "flag", None)
    if flag is None:
        return True
    flag.set()
    return False


@contextmanager
def shared(flag):
    """Around the wait for worker threads: Ctrl-C, or any error, sets ``flag``
    so that the workers stop at their next epoch, then goes on as before."""
    with _sigint_sets(flag), propagating(flag):
        yield flag


@contextmanager
def _sigint_sets(flag):
    """Set ``flag`` on SIGINT before the previous handler runs (it raises the
    KeyboardInterrupt).  Only the main thread can handle signals."""
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        yield
        return

    def handler(signum, frame):
        flag.set()
        previous(signum, frame)

    signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def keyboard_interrupt_behind(error):
    """The KeyboardInterrupt at the root of a chain of SystemErrors, or None."""
    seen = set()
    while isinstance(error, SystemError) and id(error) not in seen:
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return error if isinstance(error, KeyboardInterrupt) else None


@contextmanager
def kernel_calls():
    """Let an interrupt that Numba wrapped in a SystemError surface as itself."""
    try:
        yield
    except SystemError as error:
        interrupt = keyboard_interrupt_behind(error)
        if interrupt is None:
            raise
        raise interrupt from None


def surfaces_as_keyboard_interrupt(function):
    """Decorate a public entry point with ``kernel_calls``."""

    @functools.wraps(function)
    def guarded(*args, **kwargs):
        with kernel_calls():
            return function(*args, **kwargs)

    return guarded
