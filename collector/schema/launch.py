"""How the server was started and what starting it took: the `launch` section of a run record."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from collector.schema.base import Scalar, Strict


class MemoryFootprint(Strict):
    gpu_used_mib: float | None = Field(None, description="GPU memory in use after the model loaded (NVML).")
    host_rss_mib: float | None = Field(None, description="Resident memory of the server process after load.")


class EngineInstall(Strict):
    """The installed size of the engine's own Python distribution: one figure of deployment complexity."""

    distribution: str = Field(
        description="The distribution measured (e.g. 'vllm', 'xllamacpp', 'transformers'): the engine's own "
        "package only, not its dependencies (torch, CUDA libraries) nor the model."
    )
    version: str | None = Field(None, description="Its installed version.")
    size_mib: float = Field(
        ge=0,
        description="Sum of the sizes of the files its installed metadata lists (RECORD, via "
        "importlib.metadata), in MiB; files listed but absent count 0.",
    )
    files: int = Field(ge=0, description="Number of files the distribution installed.")


class Launch(Strict):
    """How the server was started (or that it was already running)."""

    mode: Literal["embedded", "managed", "external"] = Field(
        description="'embedded': llama.cpp in-process via xllamacpp; 'managed': started by the collector "
        "from --launch; 'external': an already-running server."
    )
    argv: list[str] | None = Field(None, description="Exact launch command (secrets redacted).")
    env: dict[str, str] = Field(
        default_factory=dict,
        description="Environment variables that matter to the server (secrets redacted).",
    )
    startup_s: float | None = Field(
        None,
        ge=0,
        description="Seconds from process start (the spawn of a managed server; the creation of the embedded "
        "engine's llama.cpp server) to the first HTTP 200 from its readiness URL, polled every 200 ms (the "
        "first poll at once); null for an external server (not measured).",
    )
    first_token_s: float | None = Field(
        None,
        ge=0,
        description="Seconds from process start (as for startup_s, same clock) to the first content chunk "
        "of the first generation request: a one-token streamed probe sent right after readiness and the "
        "model listing; null when not measured (an external server, a run file before this field, a "
        "probe that failed).",
    )
    memory: MemoryFootprint | None = Field(None, description="Memory footprint after the model loaded.")
    launch_flags: int | None = Field(
        None,
        ge=0,
        description="Number of options on the launch line (arguments starting with '-', the value of "
        "'--opt=value' not counted separately); null without a launch line (embedded, external).",
    )
    engine_install: EngineInstall | None = Field(
        None,
        description="Installed size of the engine's own distribution, when it is installed in the "
        "collector's Python environment and the launch runs that environment; null otherwise.",
    )
    log_file: str | None = Field(None, description="Server log file written beside the run, if any.")
    engine_settings: dict[str, Scalar] = Field(
        default_factory=dict, description="Engine settings (context size, parallel slots, threads, ...)."
    )
