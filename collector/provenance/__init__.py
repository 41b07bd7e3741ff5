"""What was measured on what: hardware and software facts, quantization/serving facts (`facts`). The run
record is assembled in `collector.run.record`; redaction of secrets is `collector.secrets`.

Modules are imported by their full path (e.g. `collector.provenance.facts`); the package itself
re-exports nothing, so importing one stage never drags in the others."""

__all__ = ["facts", "hardware"]
