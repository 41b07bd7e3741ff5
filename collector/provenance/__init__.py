"""collector.provenance.facts."""
