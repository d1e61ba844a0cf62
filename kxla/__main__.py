"""``python -m kxla ...`` runs the ``kxla`` command (see kxla.cli)."""
import sys

from .cli import main

sys.exit(main())
