"""Every ECMG test runs torch on one thread."""

import pytest
import torch


@pytest.fixture(autouse=True)
def single_thread():
    """Tiny models run fastest on one thread; a second one thrashes on a busy CPU."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
