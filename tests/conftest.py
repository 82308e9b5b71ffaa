"""Test-wide settings: nothing touches the user's own folders, one BLAS/torch thread."""

from __future__ import annotations

import os

import pytest


def pytest_configure(config):
    # One thread: on a 2-core machine a second thread waits for a core and slows small
    # matrix products many times over (measured for the encoder and the ECMG model).
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


@pytest.fixture(scope="session", autouse=True)
def isolated_user_folders(tmp_path_factory):
    """The default music library and caches live in a session folder, built once."""
    root = tmp_path_factory.mktemp("vmb-home")
    saved = {k: os.environ.get(k) for k in ("VMB_LIBRARY", "VMB_CACHE_DIR")}
    os.environ["VMB_LIBRARY"] = str(root / "library")
    os.environ["VMB_CACHE_DIR"] = str(root / "cache")
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover
        pass
    yield root
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
