"""Shared test setup: Keras 3 (optional oracle) on the JAX backend, CPU-only JAX, fresh seeds."""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _seed():
    from kxla.utils import set_random_seed
    set_random_seed(0)
    np.random.seed(0)
    yield


@pytest.fixture
def keras():
    """Keras 3 as a numerical oracle; tests using it skip when it is not installed."""
    return pytest.importorskip("keras")
