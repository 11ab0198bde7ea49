"""A real HTTP receiver of pushed events on a loopback port, in a thread."""

import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class EventReceiver:
    """Records every POST; answers each with the next of `statuses` (then 202)."""

    def __init__(self):
        self.received = []  # (headers dict, body text)
        self.statuses = []
        self.lock = threading.Lock()
        self.server = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/events"

    def answer_with(self, *statuses):
        with self.lock:
            self.statuses.extend(statuses)

    def bodies(self) -> list[str]:
        with self.lock:
            return [body for _headers, body in self.received]


@contextmanager
def running_receiver(port: int = 0):
    receiver = EventReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            with receiver.lock:
                receiver.received.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 202
            self.send_response(status)
            payload = b"" if status == 202 else b'{"err": "invalid_request"}'
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    receiver.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
