"""A scripted server meant to be started by `inferboard collect --launch` (reliability tests).

    python rel_launchable.py --port N [--ignore-sigterm] [--echo] [ANY EXTRA ARGS ...]

--ignore-sigterm: a server that does not stop on SIGTERM (the collector's stop must escalate, and a second
Ctrl-C must not wait for it). --echo: print the argv and the whole environment first, as many servers do at
start-up (secrets included), so the test can check the collector's log scrubbing. Extra args are accepted and
ignored (e.g. `--api-key VALUE`, to have a secret on the launch line).
"""

from __future__ import annotations

import os
import signal
import sys

from scripted_server import Script, ScriptedServer


def main(argv: list[str]) -> None:
    port = int(argv[argv.index("--port") + 1])
    if "--echo" in argv:
        print("argv:", " ".join(argv), flush=True)
        for key, value in sorted(os.environ.items()):
            print(f"env {key}={value}", flush=True)
    srv = ScriptedServer(Script(ttft_ms=5.0, itl_ms=20.0), in_thread=True)
    srv.fixed_port = port
    if "--ignore-sigterm" in argv:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    else:
        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    srv._run()  # in_thread=True: serves in the foreground without installing its own SIGTERM handler


if __name__ == "__main__":
    main(sys.argv[1:])
