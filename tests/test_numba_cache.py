"""Numba gets a cache folder even where the package and home are read-only."""

import numba
import pytest

import skreg._numba_cache as cache


@pytest.fixture
def no_cache_dir(monkeypatch):
    monkeypatch.setattr(numba.config, "CACHE_DIR", "")


def test_falls_back_to_a_temporary_folder_when_nothing_is_writable(
    tmp_path, monkeypatch, no_cache_dir
):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    # Paths below a regular file can be neither made nor written, even by root.
    monkeypatch.setattr(
        cache.AppDirs, "user_cache_dir", property(lambda self: str(blocker / "home"))
    )
    chosen = cache.ensure_cache_location(str(blocker / "pkg"), fallback_root=str(tmp_path))
    assert chosen == str(tmp_path / "skreg-numba-cache")
    assert numba.config.CACHE_DIR == chosen


def test_keeps_numbas_choice_when_the_package_folder_is_writable(tmp_path, no_cache_dir):
    assert cache.ensure_cache_location(str(tmp_path)) is None
    assert numba.config.CACHE_DIR == ""


def test_respects_a_user_chosen_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path))
    assert cache.ensure_cache_location("/nonexistent") is None
    assert numba.config.CACHE_DIR == str(tmp_path)
