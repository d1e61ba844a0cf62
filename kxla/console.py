"""Where kxla's progress output goes: stdout while interactive logging is on, else the ``logging`` module.

A leaf below callbacks and training (it imports only ``kxla.config``); ``kxla.utils.io_utils`` re-exports it.

Keras sends the same text to ``absl.logging`` when interactive logging is off;
kxla uses the standard library's ``logging`` (logger ``"kxla"``, level INFO),
which absl's logger also writes through.
"""
from __future__ import annotations

import logging
import sys

from . import config
from .config import (disable_interactive_logging, enable_interactive_logging,  # noqa: F401 (re-exported)
                      is_interactive_logging_enabled)

logger = logging.getLogger("kxla")


def print_msg(message, line_break: bool = True, stream=None) -> None:
    """Write ``message`` to ``stream`` (default stdout) or, with interactive logging off, log it at INFO."""
    message = str(message)
    if not config.is_interactive_logging_enabled():
        logger.info(message)
        return
    stream = stream or sys.stdout
    text = message + "\n" if line_break else message
    try:
        stream.write(text)
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "utf-8"
        stream.write(text.replace("━", "=").encode(encoding, errors="ignore").decode(encoding))
    stream.flush()
