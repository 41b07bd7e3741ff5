"""Secrets: redaction of argv, environment and text (`redact`), and the process-wide registry that scrubs
every line and file the collector writes (`scrub`). Their own package, low in the layers, so that the server,
the store and provenance can all use it without importing one another.

Modules are imported by their full path (e.g. `collector.secrets.redact`)."""

__all__ = ["redact", "scrub"]
