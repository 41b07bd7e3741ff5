"""The per-cell options of a suite file, derived from the options model (`CollectConfig`).

Every field of `CollectConfig` that is not about the server (those are a suite server's own keys) nor
filled in by the collector itself is a suite option under the SAME name, with the same validation and
description, made optional: None means "not set here", so layers can be merged and an option left out
everywhere takes the command's default. A field added to `CollectConfig` is therefore a suite option and a
`collect` flag at once; nothing has to be written twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator
from pydantic.fields import FieldInfo

from collector.config.collect import CollectConfig

__all__ = ["SERVER_FIELDS", "SUITE_OPTIONS", "TIMEOUT_ALIASES", "CollectOptions", "same_as"]

# Options that say which server to measure and what it is: in a suite they are keys of a server
# (`servers[].endpoint`, `.engine`, `.gpus`, ...), never per-workload options. `api_key` is one because a
# suite must not hold secrets: a suite names the variable instead (`api_key_env`).
SERVER_FIELDS = frozenset(
    {
        "endpoint",
        "backend",
        "model",
        "api_key",
        "launch",
        "launch_env",
        "ready_url",
        "ready_timeout_s",
        "gguf",
        "model_source",
        "shape",
        "engine_dtype",
        "engine_parallel",
        "engine_threads",
        "engine_ctx",
        "hardware_label",
        "gpu_indices",
        "quantization",
        "serving",
        "labels",
    }
)
# Filled in by the collector (the command line it ran, the suite it came from), never by the user.
_COLLECTOR_FIELDS = frozenset({"notes", "command", "suite"})
SUITE_OPTIONS = tuple(
    name for name in CollectConfig.model_fields if name not in SERVER_FIELDS | _COLLECTOR_FIELDS
)

# Deprecated suite spelling `timeouts: {connect_s, read_s, total_s}` -> the options' own names.
TIMEOUT_ALIASES = {
    "connect_s": "connect_timeout_s",
    "read_s": "read_timeout_s",
    "total_s": "request_timeout_s",
}


def _optional(name: str) -> tuple[Any, Any]:
    """CollectConfig's field `name` with its type, bounds and description, but optional (default None)."""
    info = CollectConfig.model_fields[name]
    kind: Any = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
    return kind | None, Field(None, description=info.description)


def same_as(name: str, default: Any = None, default_factory: Any = None) -> Any:
    """CollectConfig's field `name` (bounds, description) as a suite key with `default` (None: not set);
    for the keys of a suite server, some spelled differently (`engine.n_ctx` is `engine_ctx`)."""
    info = CollectConfig.model_fields[name]
    if default_factory is not None:
        return FieldInfo.merge_field_infos(info, default_factory=default_factory, json_schema_extra=None)
    return FieldInfo.merge_field_infos(info, default=default, default_factory=None, json_schema_extra=None)


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Built at import from CollectConfig; mypy cannot see a model made by create_model, hence the ignores.
_Derived: Any = create_model(  # type: ignore[call-overload]
    "CollectOptionFields", __base__=_Base, **{name: _optional(name) for name in SUITE_OPTIONS}
)


class CollectOptions(_Derived):  # type: ignore[misc]
    """Options of `inferboard collect` that a suite sets per cell, under the flags' field names;
    None = not set here."""

    if TYPE_CHECKING:
        # The derived fields (CollectConfig's names) are invisible to mypy; read as Any.
        def __getattr__(self, name: str) -> Any: ...

    api_key_env: str | None = Field(
        None, description="*Name* of the environment variable holding the API key (suites hold no secrets)."
    )

    @model_validator(mode="before")
    @classmethod
    def _deprecated_timeouts(cls, data: Any) -> Any:
        """Accept the old `timeouts: {connect_s, read_s, total_s}` as the three timeout options."""
        if not isinstance(data, dict) or "timeouts" not in data:
            return data
        data = dict(data)
        timeouts = data.pop("timeouts")
        if not isinstance(timeouts, dict):
            raise ValueError("timeouts (deprecated) must be a mapping of connect_s, read_s, total_s")
        for old, value in timeouts.items():
            new = TIMEOUT_ALIASES.get(old)
            if new is None:
                raise ValueError(f"timeouts.{old}: unknown; use connect_timeout_s, read_timeout_s, ...")
            if new in data:
                raise ValueError(f"timeouts.{old} and {new} both given; keep {new}")
            data[new] = value
        return data

    def overlaid(self, other: CollectOptions) -> CollectOptions:
        """These options with every value set in `other` replacing ours (mappings merged key by key)."""
        data = self.model_dump(exclude_none=True)
        for key, value in other.model_dump(exclude_none=True).items():
            data[key] = {**data[key], **value} if isinstance(value, dict) and key in data else value
        return CollectOptions.model_validate(data)

    def level_count(self) -> int:
        """Load levels this option set runs (trials included); 1 when the command's default applies."""
        levels = len(self.concurrency or self.request_rate or [None])
        return int(levels * (self.repeats or 1))
