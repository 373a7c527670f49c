"""One torch thread for the fibre tests: the networks are small, and two threads on a loaded 2-core machine
spend more time waiting on each other than computing."""

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_torch_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
