"""The options model of a collection (`collect.CollectConfig`, from which the `collect` flags are generated),
the suite's per-cell options derived from it (`options`), suite files (`suite`) and the suite reference
generated from them (`docs`).

Modules are imported by their full path (e.g. `collector.config.collect`); the package itself
re-exports nothing, so importing one stage never drags in the others."""

__all__ = ["collect", "docs", "options", "suite"]
