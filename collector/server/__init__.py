"""Getting a server to measure: the embedded llama.cpp engine, random-weight GGUF generation, managed launch,
and the external/embedded/managed handle (`server`).

Modules are imported by their full path (e.g. `collector.server.engine`); the package itself
re-exports nothing, so importing one stage never drags in the others."""

__all__ = ["engine", "ggufgen", "launch", "server"]
