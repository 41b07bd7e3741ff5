"""A small real HTTP server process for the managed-launch tests (run as a script, never imported by pytest).

It misbehaves on request: slow to become ready, never ready, exits early, ignores SIGTERM, spawns a
grandchild, echoes its secrets to stdout like servers that log their arguments.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ready-after", type=float, default=0.0)
    parser.add_argument("--never-ready", action="store_true")
    parser.add_argument("--exit-after", type=float, default=None)
    parser.add_argument("--exit-code", type=int, default=3)
    parser.add_argument("--ignore-sigterm", action="store_true")
    parser.add_argument("--spawn-child", action="store_true")
    parser.add_argument("--echo-secrets", action="store_true")
    parser.add_argument("--allocate-mib", type=int, default=0)
    parser.add_argument("--api-key", default=None)
    args = parser.parse_args()

    began = time.monotonic()
    print(f"toy server starting on port {args.port}", flush=True)
    if args.echo_secrets:
        # Like vLLM's "non-default args" line: the server's own output contains the key.
        print(f"args: api_key={args.api_key!r} argv={sys.argv}", flush=True)
        print(f"env HF_TOKEN={os.environ.get('HF_TOKEN')}", flush=True)
    ballast = bytearray(args.allocate_mib * 2**20)
    for i in range(0, len(ballast), 4096):  # touch every page so it is resident
        ballast[i] = 1
    if args.ignore_sigterm:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if args.spawn_child:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        print(f"grandchild pid {child.pid}", flush=True)
    if args.exit_after is not None:
        time.sleep(args.exit_after)
        for i in range(30):
            print(f"loading shard {i}", flush=True)
        print("RuntimeError: CUDA out of memory (toy)", file=sys.stderr, flush=True)
        sys.exit(args.exit_code)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            ready = not args.never_ready and time.monotonic() - began >= args.ready_after
            body = b'{"status":"ok"}' if ready else b'{"status":"loading"}'
            self.send_response(200 if ready else 503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *fmt_args: object) -> None:
            print("request: " + format % fmt_args, flush=True)

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("toy server ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
