"""``print_msg`` and the interactive-logging switches live in ``kxla.console`` (below callbacks and training)."""
from ..console import (disable_interactive_logging, enable_interactive_logging,  # noqa: F401
                       is_interactive_logging_enabled, logger, print_msg)
