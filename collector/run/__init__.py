"""Running a collection: the sweep over load levels (`runner`), suites of cells (`suites`), interrupts and
progress.

Modules are imported by their full path (e.g. `collector.run.interrupts`); the package itself
re-exports nothing, so importing one stage never drags in the others."""

__all__ = ["interrupts", "progress", "runner", "suites"]
