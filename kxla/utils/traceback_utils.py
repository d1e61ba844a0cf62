"""Keras's traceback filtering: errors raised through kxla's entry points drop kxla's internal frames.

``keras.config.disable_traceback_filtering()`` keeps every frame. The filter
applies to ``fit`` / ``evaluate`` / ``predict`` (as Keras's does); when every
frame is internal, the outermost one is kept.
"""
from __future__ import annotations

import functools
import os
import traceback
import types

from .. import config

_KXLA_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def include_frame(filename: str) -> bool:
    """Whether a frame of ``filename`` stays: not kxla's own code."""
    return not os.path.abspath(filename).startswith(_KXLA_DIR + os.sep)


def _filtered(tb):
    kept = None
    frames = list(traceback.walk_tb(tb))
    for frame, line_no in reversed(frames):
        if include_frame(frame.f_code.co_filename):
            kept = types.TracebackType(kept, frame, frame.f_lasti, line_no)
    if kept is None and frames:
        frame, line_no = frames[-1]
        kept = types.TracebackType(None, frame, frame.f_lasti, line_no)
    return kept


def filter_traceback(fn):
    """Decorate ``fn`` so its exceptions lose kxla's internal frames while filtering is enabled."""
    @functools.wraps(fn)
    def error_handler(*args, **kwargs):
        if not config.is_traceback_filtering_enabled():
            return fn(*args, **kwargs)
        filtered = None
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            filtered = _filtered(e.__traceback__)
            raise e.with_traceback(filtered) from None
        finally:
            del filtered
    return error_handler
