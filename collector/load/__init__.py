"""Sending the load: the lean HTTP transport, SSE parsing, the streaming client, prompts (`workload`),
closed/open-loop scheduling, worker processes and the event loop (`aio`).

Modules are imported by their full path (e.g. `collector.load.aio`); the package itself
re-exports nothing, so importing one stage never drags in the others."""

__all__ = ["aio", "client", "scheduling", "sse", "transport", "workers", "workload"]
