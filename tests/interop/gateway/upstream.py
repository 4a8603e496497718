"""The API behind the gateways in the gateway test: answers every request with the method, path
and headers it received, as JSON, and counts them; `GET /__hits` (asked directly, not through a
gateway) answers the count, so the test can tell that a refused request never arrived."""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HITS = 0


class Echo(BaseHTTPRequestHandler):
    def answer(self):
        global HITS
        if self.path == "/__hits":
            body = json.dumps({"hits": HITS}).encode()
        else:
            HITS += 1
            headers = {k.lower(): v for k, v in self.headers.items()}
            body = json.dumps({"method": self.command, "path": self.path, "headers": headers}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = answer

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Echo).serve_forever()
