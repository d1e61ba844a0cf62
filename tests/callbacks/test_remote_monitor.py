"""RemoteMonitor: the request kxla sends equals the one Keras 3's callback sends, on a 127.0.0.1 server."""
import http.server
import json
import threading
import urllib.parse

import numpy as np
import pytest

from kxla.callbacks import RemoteMonitor

from callback_check import tiny_data, tiny_model


class _Recorder(http.server.BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, self.headers["Content-Type"], self.headers.get("X-Run"), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    _Recorder.received = []
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", _Recorder.received
    srv.shutdown()
    srv.server_close()


@pytest.mark.parametrize("send_as_json", [False, True])
def test_same_request_as_keras(server, send_as_json):
    keras = pytest.importorskip("keras")
    pytest.importorskip("requests")
    root, received = server
    logs = {"loss": np.float32(0.25), "val_loss": 0.5, "accuracy": np.array(0.75)}
    kwargs = dict(root=root, path="/p/", field="f", headers={"X-Run": "7"}, send_as_json=send_as_json)
    RemoteMonitor(**kwargs).on_epoch_end(3, dict(logs))
    keras.callbacks.RemoteMonitor(**kwargs).on_epoch_end(3, dict(logs))
    (path, ctype, run, body), theirs = received
    assert (path, ctype, run, body) == theirs
    sent = json.loads(body) if send_as_json else json.loads(urllib.parse.parse_qs(body.decode())["f"][0])
    assert sent == {"epoch": 3, "loss": 0.25, "val_loss": 0.5, "accuracy": 0.75}


def test_fit_posts_every_epoch(server):
    root, received = server
    model = tiny_model()
    x, y = tiny_data()
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[RemoteMonitor(root=root)])
    sent = [json.loads(urllib.parse.parse_qs(body.decode())["data"][0]) for _, _, _, body in received]
    assert [s["epoch"] for s in sent] == [0, 1]
    np.testing.assert_allclose([s["loss"] for s in sent], history.history["loss"], rtol=1e-6)


def test_unreachable_server_warns_and_training_goes_on():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    model = tiny_model()
    x, y = tiny_data()
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor"):
        history = model.fit(x, y, epochs=2, verbose=0, callbacks=[RemoteMonitor(root=f"http://127.0.0.1:{port}")])
    assert len(history.history["loss"]) == 2
