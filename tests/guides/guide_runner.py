"""Runs a Keras guide's code with ``keras`` bound to kxla (the import line is the only change).

``run_guide(source, keras_module)`` executes the text in a fresh namespace where ``keras`` (and
``jax``, ``np``) are bound, and returns the namespace, so tests can inspect what it built.
"""
import jax
import numpy as np


def run_guide(source: str, keras_module, **names) -> dict:
    namespace = {"keras": keras_module, "jax": jax, "np": np, "__name__": "guide"}
    namespace.update(names)
    exec(compile(source, "<guide>", "exec"), namespace)
    return namespace
