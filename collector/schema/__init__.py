"""The run record contract. The generator imports only this package from the collector."""

from collector.schema.definitions import METRIC_DEFINITIONS, MetricDefinition, definition
from collector.schema.models import (
    GPU,
    SCHEMA_VERSION,
    SLO,
    Backend,
    CIInfo,
    ClientHealth,
    Collector,
    ConfidenceInterval,
    Dataset,
    Energy,
    Goodput,
    Hardware,
    Host,
    Launch,
    LevelResult,
    MemoryFootprint,
    ModelInfo,
    Origin,
    Quantization,
    RepeatSummary,
    RequestRecord,
    RunRecord,
    ServerMetrics,
    Serving,
    Software,
    SourceFile,
    Suite,
    Summary,
    Telemetry,
    TelemetrySample,
    Timeouts,
    Workload,
)
from collector.schema.upgrade import UPGRADERS, RunFileError, json_schema, load_run, parse_run, upgrade

__all__ = [
    "GPU", "METRIC_DEFINITIONS", "SCHEMA_VERSION", "SLO", "UPGRADERS", "Backend", "CIInfo", "ClientHealth",
    "Collector", "ConfidenceInterval", "Dataset", "Energy", "Goodput", "Hardware", "Host", "Launch",
    "LevelResult", "MemoryFootprint", "MetricDefinition", "ModelInfo", "Origin", "Quantization",
    "RepeatSummary", "RequestRecord", "RunFileError", "RunRecord", "ServerMetrics", "Serving", "Software",
    "SourceFile", "Suite", "Summary", "Telemetry", "TelemetrySample", "Timeouts", "Workload", "definition",
    "json_schema", "load_run", "parse_run", "upgrade",
]
