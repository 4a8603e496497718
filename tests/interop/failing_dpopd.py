"""A stand-in for a dpopd that cannot decide: every API call is answered INTERNAL_SERVER_ERROR
without `responseContent`, as introspection answers when its store does not respond (A056101).
The example fronts must turn that into a 500 with a JSON error, not crash on the missing
field. Standard library only; listens on 127.0.0.1:$PORT."""
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CODES = {"/auth/token": "A051101", "/auth/introspection": "A056101"}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        code = CODES.get(self.path, "A001101")
        self.answer({"action": "INTERNAL_SERVER_ERROR", "resultCode": code, "resultMessage": f"[{code}] stand-in"})

    def do_GET(self):
        self.answer({"status": "up"})

    def answer(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
