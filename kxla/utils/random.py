"""The process seed stream lives in ``kxla.seeding`` (below ops and initializers); kept importable."""
from ..seeding import next_key, next_seed, numpy_rng, set_random_seed  # noqa: F401
from ..seeding import _state  # noqa: F401
