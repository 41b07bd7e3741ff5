"""collector.load.scheduling."""
