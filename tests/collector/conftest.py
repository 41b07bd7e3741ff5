"""The collector tests live in one folder per package; their shared helpers (scripted server, netutil, ...)
stay here, so this folder goes on sys.path for every test below it."""

import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
