"""`collector.schema` is the generator's only door into the collector: its public names are pinned, so
adding or removing one is a deliberate change to this list (as httpx pins its exports)."""

from __future__ import annotations

import collector.schema

EXPECTED = [
    "API_CHECKS",
    "BACKEND_FACTS",
    "CAPACITY_DEFINITIONS",
    "CLEAN_RULES",
    "CONFIGURATION_FIELDS",
    "GPU",
    "HEADLINE_METRICS",
    "METRIC_DEFINITIONS",
    "MIN_DECIDING_REASON",
    "MIN_DECIDING_REQUESTS",
    "PERCENTILE_MIN_SAMPLES",
    "PRESET_DEFINITIONS",
    "QUALITY_DEFINITIONS",
    "REQUEST_RECORDS_PER_LEVEL",
    "RULE_TEXT",
    "SCHEMA_VERSION",
    "SLO",
    "UPGRADERS",
    "WORKLOAD_DEFINITIONS",
    "ApiFact",
    "Backend",
    "BackendFacts",
    "CIInfo",
    "Capacity",
    "CapacityProbe",
    "CleanRule",
    "ClientHealth",
    "Cluster",
    "ClusterActor",
    "ClusterLevel",
    "Collector",
    "ConfidenceInterval",
    "ConfigurationField",
    "Dataset",
    "Energy",
    "Goodput",
    "Hardware",
    "Host",
    "HostLoad",
    "InferboardError",
    "Isolation",
    "Launch",
    "LevelResult",
    "LogprobScore",
    "MemoryFootprint",
    "MetricDefinition",
    "ModelInfo",
    "MultiTurnSettings",
    "Origin",
    "PrefixCache",
    "PresetDefinition",
    "Quality",
    "QualityAnswer",
    "Quantization",
    "Reasoning",
    "RepeatSummary",
    "RequestRecord",
    "RunFileError",
    "RunRecord",
    "ServerMetrics",
    "Serving",
    "SharedPrefixSettings",
    "Software",
    "SourceFile",
    "Suite",
    "Summary",
    "Telemetry",
    "TelemetrySample",
    "Timeouts",
    "TraceSettings",
    "TraceTiming",
    "TurnLatency",
    "Workload",
    "configuration_fields",
    "configuration_key",
    "definition",
    "json_schema",
    "keyed_by_name",
    "level_unclean_reasons",
    "load_run",
    "mean_interval",
    "parse_run",
    "percentile_supported",
    "read_run_data",
    "trial_unclean_reasons",
    "upgrade",
    "validate_run",
]


def test_public_names_are_pinned() -> None:
    assert sorted(collector.schema.__all__) == sorted(EXPECTED)


def test_every_public_name_exists_and_nothing_public_is_left_unlisted() -> None:
    for name in EXPECTED:
        assert hasattr(collector.schema, name), name
    submodules = {"cluster", "configuration", "decisions", "definitions", "errors", "llmd", "models"}
    public = {
        n
        for n in vars(collector.schema)
        if not n.startswith("_")
        and n not in submodules
        and not isinstance(getattr(collector.schema, n), type(collector))
    }
    assert public <= set(EXPECTED), sorted(public - set(EXPECTED))


def test_every_error_is_under_the_one_tree() -> None:
    assert issubclass(collector.schema.RunFileError, collector.schema.InferboardError)
