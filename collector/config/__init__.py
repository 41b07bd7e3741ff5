"""collector.config.collect."""
