"""What was measured on what: hardware and software facts, quantization/serving facts (`facts`), building the
run record (`record`) and redaction of secrets.

Modules are imported by their full path (e.g. `collector.provenance.facts`); the package itself
re-exports nothing, so importing one stage never drags in the others."""

__all__ = ["facts", "hardware", "record", "redact"]
