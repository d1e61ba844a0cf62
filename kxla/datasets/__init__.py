"""kxla.datasets — small datasets that need no network (digits) and Keras's download-and-cache sets.

``mnist``, ``fashion_mnist``, ``cifar10``, ``cifar100``, ``imdb``, ``reuters``, ``boston_housing`` and
``california_housing`` mirror ``keras.datasets`` (same return
structures and dtypes); files are downloaded once, checked against their known hashes and cached
under ``~/.kxla/datasets`` (``KXLA_DATASETS_DIR`` or ``cache_dir=`` to change it).
"""
from . import digits, mnist, fashion_mnist, cifar10, cifar100, imdb, reuters, boston_housing, california_housing

__all__ = ["digits", "mnist", "fashion_mnist", "cifar10", "cifar100", "imdb", "reuters", "boston_housing",
           "california_housing"]
