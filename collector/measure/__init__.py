"""Turning outcomes into figures: metrics and statistics, GPU telemetry, the client self-check, per-level
observers (`level_extras`) and server /metrics scraping.

Modules are imported by their full path (e.g. `collector.measure.level_extras`); the package itself
re-exports nothing, so importing one stage never drags in the others."""

__all__ = ["level_extras", "metrics", "selfcheck", "servermetrics", "stats", "telemetry"]
