"""Running a collection: the sweep over load levels (`runner`), suites of cells (`suites`), interrupts and
progress, the run record (`record`) and the per-level observers (`level_extras`, `after_sweep`).

Modules are imported by their full path (e.g. `collector.run.interrupts`); the package itself
re-exports nothing, so importing one stage never drags in the others."""

__all__ = ["after_sweep", "interrupts", "level_extras", "progress", "record", "runner", "suites"]
