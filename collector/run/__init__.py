"""collector.run."""
