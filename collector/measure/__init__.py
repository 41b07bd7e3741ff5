"""collector.measure."""
