"""``RemoteMonitor``: POST each epoch's logs to an HTTP server (Keras 3's callback, on the stdlib).

Keras sends with ``requests``; kxla sends the same request with ``urllib`` so it needs no extra
package: a form field ``field=<json>`` (``application/x-www-form-urlencoded``) by default, or the
JSON body itself with ``send_as_json=True``.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import warnings

import numpy as np

from .callback import Callback

#: Seconds before an unresponsive server is given up (a warning, as for an unreachable one).
TIMEOUT = 10.0


class RemoteMonitor(Callback):
    """Send ``{"epoch": epoch, **logs}`` to ``root + path`` at the end of every epoch.

    Arguments:
      root: the server's root URL.
      path: path relative to ``root``.
      field: form field name carrying the JSON (ignored with ``send_as_json=True``).
      headers: extra HTTP headers (a dict).
      send_as_json: send the JSON as the request body (``application/json``).

    An unreachable server or an HTTP error gives a warning, never an exception: monitoring must
    not stop training.
    """

    def __init__(self, root: str = "http://localhost:9000", path: str = "/publish/epoch/end/",
                 field: str = "data", headers: dict | None = None, send_as_json: bool = False):
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json

    def on_epoch_end(self, epoch, logs=None):
        send = {"epoch": epoch}
        for key, value in (logs or {}).items():
            send[key] = value.item() if isinstance(value, (np.ndarray, np.generic)) else value
        if self.send_as_json:
            body, content_type = json.dumps(send).encode(), "application/json"
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode()
            content_type = "application/x-www-form-urlencoded"
        headers = {"Content-Type": content_type, **(self.headers or {})}
        request = urllib.request.Request(self.root + self.path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                response.read()
        except (urllib.error.URLError, OSError, ValueError):
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}", stacklevel=2)
