"""Workload generators beyond fixed lengths and datasets: sequence-length presets, shared prefixes,
multi-turn chat, Mooncake trace replay; and the capacity search under an SLO. See docs/workloads.md and
docs/capacity.md."""
