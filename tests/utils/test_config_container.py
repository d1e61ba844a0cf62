"""kxla.utils.Config behaves as keras.utils.Config: attributes, items, freeze, JSON, errors."""
import pytest

import kxla


def _exercise(Config):
    c = Config(learning_rate=0.1, momentum=0.9)
    c.use_ema = True
    c["seed"] = 123
    out = [c.seed, c["learning_rate"], list(c), sorted(c.keys()), len(c), "seed" in c, c.get("nope", 7),
           c.to_json(), repr(c), c.as_dict(), c.pop("seed"), c.frozen]
    c.update(momentum=0.5)
    c.freeze()
    errors = []
    for mutate in (lambda: setattr(c, "x", 1), lambda: c.__setitem__("x", 1), lambda: c.pop("momentum"),
                   lambda: c.__delitem__("momentum"), lambda: c.update(a=1), lambda: c.momentun):
        try:
            mutate()
        except Exception as e:          # noqa: BLE001 - compared with Keras's
            errors.append((type(e).__name__, str(e)))
    c.unfreeze()
    del c["use_ema"]
    return out + [c.frozen, errors, c.as_dict()]


def test_config_matches_keras(keras):
    assert _exercise(kxla.utils.Config) == _exercise(keras.utils.Config)
