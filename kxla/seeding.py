"""Process-wide seeding: ``set_random_seed`` makes initializers, dropout and shuffling reproducible."""
from __future__ import annotations

import random as _pyrandom

import numpy as np

_state = {"seed": None, "counter": 0, "np": np.random.default_rng()}


def set_random_seed(seed: int) -> None:
    """Seed kxla's initializers, eager random ops, shuffling, Python's and numpy's global RNGs."""
    seed = int(seed)
    _state.update(seed=seed, counter=0, np=np.random.default_rng(seed))
    _pyrandom.seed(seed)
    np.random.seed(seed % (2 ** 32))


def numpy_rng() -> np.random.Generator:
    """The numpy generator used for weight initialization and shuffling."""
    return _state["np"]


def next_seed() -> int:
    """A fresh integer seed drawn from the process generator."""
    return int(_state["np"].integers(0, 2 ** 31 - 1))


def next_key():
    """A fresh JAX PRNG key (for eager random ops and training steps)."""
    import jax
    return jax.random.key(next_seed())
