"""collector.server.server."""
