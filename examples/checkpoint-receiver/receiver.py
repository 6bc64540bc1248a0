"""Receive Tide's checkpoint requests in a training loop (PyTorch, Ray Train, anything in Python).

Tide POSTs a CloudEvent `dev.tide.job.checkpoint.requested` to the URL in the target's
`resource.checkpoint` when a node of the job is about to go (a spot interruption) or before it moves the job.
The request is signed: `x-tide-timestamp` (Unix seconds) and
`x-tide-signature: v1=HEX(HMAC-SHA256(key, timestamp + "." + body))`, with the key Tide reads from the
environment variable the target names. This file is standard library only.

In the training loop:

    requests = CheckpointRequests(key=os.environ["TIDE_CHECKPOINT_KEY"], port=8443,
                                  certfile="cert.pem", keyfile="key.pem")
    requests.start()
    for step, batch in enumerate(loader):
        loss = train_step(model, batch)
        if requests.pending(job_id):              # Tide asked: write one now, before the deadline
            torch.save({"model": model.state_dict(), "optim": optim.state_dict(), "step": step},
                       f"s3-mounted/ckpt-{step}.pt")
            requests.done(job_id)                 # optionally tell Tide: a `checkpoint-acknowledged` job event

With Ray Train, call `ray.train.report(metrics, checkpoint=Checkpoint.from_directory(d))` where the sketch
calls `torch.save`. Run as a script, it prints each accepted request (used by Tide's tests).
"""

import hashlib
import hmac
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

#: A request older (or newer) than this is refused: a captured request cannot be replayed later.
MAX_SKEW_SECONDS = 300
MAX_BODY_BYTES = 64 * 1024


def verify(key: bytes, timestamp: str, body: bytes, signature: str, now: float) -> bool:
    """True when the signature is Tide's over this timestamp and body, and the timestamp is fresh."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent) > MAX_SKEW_SECONDS:
        return False
    expected = "v1=" + hmac.new(key, f"{sent}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


class CheckpointRequests:
    """A small HTTPS server that records which jobs were asked to checkpoint, and by when."""

    def __init__(self, key: str, port: int, certfile: str, keyfile: str, host: str = "0.0.0.0", on_request=None):
        self._deadlines = {}
        self._seen = set()
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("content-length", "0"))
                if length > MAX_BODY_BYTES:
                    return self._answer(413)
                body = self.rfile.read(length)
                ok = verify(key.encode(), self.headers.get("x-tide-timestamp", ""), body,
                            self.headers.get("x-tide-signature", ""), time.time())
                if not ok:
                    return self._answer(401)
                event = json.loads(body)
                if event.get("type") != "dev.tide.job.checkpoint.requested":
                    return self._answer(400)
                with owner._lock:
                    duplicate = event["id"] in owner._seen  # Tide may deliver the same request twice
                    owner._seen.add(event["id"])
                    owner._deadlines[event["data"]["jobId"]] = event["data"]["deadline"]
                if on_request and not duplicate:
                    on_request(event)
                self._answer(202)

            def _answer(self, status):
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certfile, keyfile)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]

    def start(self):
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def pending(self, job_id: str):
        """The deadline (ISO-8601) of a checkpoint asked for this job and not yet written, or None."""
        with self._lock:
            return self._deadlines.get(job_id)

    def done(self, job_id: str):
        with self._lock:
            self._deadlines.pop(job_id, None)


if __name__ == "__main__":
    # receiver.py PORT CERT KEY, with the key in TIDE_CHECKPOINT_KEY; prints one line per request.
    import os

    port, cert, keyfile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    requests = CheckpointRequests(os.environ["TIDE_CHECKPOINT_KEY"], port, cert, keyfile, host="127.0.0.1",
                                  on_request=lambda e: print(json.dumps({"accepted": e["data"]}), flush=True))
    print(json.dumps({"listening": requests.port}), flush=True)
    requests._server.serve_forever()
