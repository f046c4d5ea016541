"""The benchmarks wait for the server they start to answer, and stop waiting for one that died."""

from __future__ import annotations

import http.server
import socket
import subprocess
import sys
import threading
import time

from bench.serving import wait_until_healthy


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Healthy(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_server_that_answers_is_healthy():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Healthy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert wait_until_healthy(f"http://127.0.0.1:{server.server_port}", seconds=5)
    finally:
        server.shutdown()


def test_a_dead_server_is_given_up_at_once_and_a_silent_one_after_the_time():
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    started = time.monotonic()
    assert not wait_until_healthy(f"http://127.0.0.1:{_free_port()}", process=dead, seconds=30)
    assert time.monotonic() - started < 5
    assert not wait_until_healthy(f"http://127.0.0.1:{_free_port()}", seconds=1)
