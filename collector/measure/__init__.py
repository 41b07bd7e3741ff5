"""Turning outcomes into figures: metrics and statistics, GPU telemetry, the client self-check and server
/metrics scraping (the per-level observers that drive servers and load live in `collector.run.level_extras`).

Modules are imported by their full path (e.g. `collector.measure.metrics`); the package itself
re-exports nothing, so importing one stage never drags in the others."""

__all__ = ["metrics", "selfcheck", "servermetrics", "stats", "telemetry"]
