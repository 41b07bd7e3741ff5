"""What each backend adapter declares, stated once, as plain data the site can read (it imports only
collector.schema).

The adapters in `collector/backends/` take these facts as their attributes (`class VllmAdapter(BackendAdapter,
facts=BACKEND_FACTS["vllm"])`) and act on them (ports, readiness, request extras, metric names); their own
code is the behaviour (version, tokenize, request bodies). Each API fact says where it comes from:
"documented" (the page or source file the adapter's docstring cites) or "checked here" (a test of this
repository against the real server). tests/collector/backends/test_backend_facts.py fails when an adapter's
behaviour disagrees with its flags, or an adapter has no entry here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

Basis = Literal["documented", "checked here", "unknown"]


@dataclass(frozen=True)
class ApiFact:
    """One thing a backend's API does, and where that is known from."""

    value: str  # "yes", "no", or what it takes ("as min_new_tokens")
    basis: Basis
    source: str = ""  # a URL (documented) or a test or file of this repository (checked here)


@dataclass(frozen=True)
class BackendFacts:
    name: str
    display_name: str
    docs_url: str
    default_port: int
    readiness_paths: tuple[str, ...]
    metrics_paths: tuple[str, ...]
    launch_template: str
    ignore_eos: bool
    min_tokens: bool
    tokenize: bool
    metric_names: Mapping[str, tuple[str, ...]]
    # API checks beyond the adapter's flags: streamed usage, prompt log-probabilities, chat templates.
    api: Mapping[str, ApiFact] = field(default_factory=dict)
    # Where inferboard ran against the real server (None: never run against a real server here).
    checked_live: str | None = None


# The API facts a profile lists, in order: key -> what it means.
API_CHECKS: Mapping[str, str] = MappingProxyType(
    {
        "ignore_eos": "`ignore_eos` honoured (output length forced)",
        "min_tokens": "`min_tokens` (or its own spelling) honoured",
        "streamed_usage": "token usage in the last streamed chunk (`stream_options.include_usage`)",
        "tokenize": "a tokenize endpoint (exact input lengths)",
        "prompt_logprobs": "prompt log-probabilities for the quality pass (`echo` or `prompt_logprobs`)",
        "chat_template": "chat completions with the model's chat template applied by the server",
    }
)

_ENGINES = "tests/collector/engines/"
_UNKNOWN = ApiFact("unknown", "unknown", "not stated by the sources the adapter cites; not checked here")
_VLLM_DOCS = "https://docs.vllm.ai/en/stable/serving/openai_compatible_server.html"
_LLAMA_DOCS = "https://github.com/ggml-org/llama.cpp/blob/master/tools/server/README.md"
_SGLANG_DOCS = "https://docs.sglang.io/basic_usage/native_api.html"
_HF_SERVE = "https://huggingface.co/docs/transformers/main/en/serving"


def _doc(value: str, url: str) -> ApiFact:
    return ApiFact(value, "documented", url)


def _here(value: str, where: str) -> ApiFact:
    return ApiFact(value, "checked here", where)


def _facts(
    name: str,
    display_name: str,
    docs_url: str,
    port: int,
    ready: tuple[str, ...],
    launch: str,
    flags: tuple[bool, bool, bool],
    metric_names: Mapping[str, tuple[str, ...]],
    api: Mapping[str, ApiFact],
    *,
    metrics_paths: tuple[str, ...] = ("/metrics",),
    checked_live: str | None = None,
) -> BackendFacts:
    ignore_eos, min_tokens, tokenize = flags
    return BackendFacts(
        name, display_name, docs_url, port, ready, metrics_paths, launch, ignore_eos, min_tokens, tokenize,
        MappingProxyType(dict(metric_names)), MappingProxyType(dict(api)), checked_live,
    )  # fmt: skip


def _flag_facts(flags: tuple[bool, bool, bool], source: str, min_spelling: str = "yes") -> dict[str, ApiFact]:
    ignore_eos, min_tokens, tokenize = flags
    return {
        "ignore_eos": ApiFact("yes" if ignore_eos else "no", "documented", source),
        "min_tokens": ApiFact(min_spelling if min_tokens else "no", "documented", source),
        "tokenize": ApiFact("yes" if tokenize else "no", "documented", source),
    }


def _vllm() -> BackendFacts:
    flags = (True, True, True)
    engine = _ENGINES + "test_engine_vllm.py (vLLM 0.32.0, CPU build)"
    api = {
        **{k: _here(v.value, engine) for k, v in _flag_facts(flags, _VLLM_DOCS).items()},
        "streamed_usage": _here("yes", engine),
        "prompt_logprobs": _here("yes (completions-echo)", "runs/ quality.logprob of the vLLM 0.32.0 runs"),
        "chat_template": _here("yes", engine),
    }
    names = {
        "running_requests": ("vllm:num_requests_running",),
        "waiting_requests": ("vllm:num_requests_waiting",),
        "kv_cache_usage": ("vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"),
        "preemptions": ("vllm:num_preemptions", "vllm:num_preemptions_total"),
        "prefix_cache_hits": ("vllm:prefix_cache_hits", "vllm:gpu_prefix_cache_hits"),
        "prefix_cache_queries": ("vllm:prefix_cache_queries", "vllm:gpu_prefix_cache_queries"),
        "prompt_tokens": ("vllm:prompt_tokens",),
        "generation_tokens": ("vllm:generation_tokens",),
    }
    return _facts(
        "vllm", "vLLM", _VLLM_DOCS, 8000, ("/health",), "vllm serve {model} --host 127.0.0.1 --port {port}",
        flags, names, api, checked_live="vLLM 0.32.0 (CPU build): " + _ENGINES + "test_engine_vllm.py",
    )  # fmt: skip


def _sglang() -> BackendFacts:
    flags = (True, True, True)
    engine = _ENGINES + "test_engine_sglang.py (SGLang 0.5.23 on CPU)"
    api = {
        **{k: _here(v.value, engine) for k, v in _flag_facts(flags, _SGLANG_DOCS).items()},
        "streamed_usage": _here("yes", engine),
        "prompt_logprobs": _UNKNOWN,
        "chat_template": _here("yes", engine),
    }
    names = {
        "running_requests": ("sglang:num_running_reqs",),
        "waiting_requests": ("sglang:num_queue_reqs",),
        "kv_cache_usage": ("sglang:token_usage",),
        "prefix_cache_hits": ("sglang:cached_tokens",),
        "prompt_tokens": ("sglang:prompt_tokens",),
        "generation_tokens": ("sglang:generation_tokens",),
    }
    launch = (
        "python -m sglang.launch_server --model-path {model} --host 127.0.0.1 --port {port} --enable-metrics"
    )
    return _facts(
        "sglang", "SGLang", _SGLANG_DOCS, 30000, ("/health",), launch, flags, names, api,
        checked_live="SGLang 0.5.23 on CPU (kernels stubbed, adapter check only): " + engine,
    )  # fmt: skip


def _llamacpp() -> BackendFacts:
    flags = (True, False, True)
    engine = "tests/collector/measure/test_servermetrics_engine.py and the embedded engine's tests"
    api = {
        **_flag_facts(flags, _LLAMA_DOCS),
        "ignore_eos": _here("yes", engine),
        "tokenize": _here("yes", engine),
        "streamed_usage": _here("yes", engine),
        "prompt_logprobs": _here(
            "no (echo ignored: log-probabilities of generated tokens only)", "docs/quality.md"
        ),
        "chat_template": _doc("yes (the GGUF's template)", _LLAMA_DOCS),
    }
    names = {
        "running_requests": ("llamacpp:requests_processing",),
        "waiting_requests": ("llamacpp:requests_deferred",),
        "kv_cache_usage": ("llamacpp:kv_cache_usage_ratio",),
        "prefix_cache_hits": ("llamacpp:prompt_tokens_cached",),
        "prompt_tokens": ("llamacpp:prompt_tokens",),
        "generation_tokens": ("llamacpp:tokens_predicted",),
    }
    return _facts(
        "llama.cpp", "llama.cpp", _LLAMA_DOCS, 8080, ("/health",),
        "llama-server -m {model} --host 127.0.0.1 --port {port} --metrics", flags, names, api,
        checked_live="embedded engine (xllamacpp) and llama-server: " + engine,
    )  # fmt: skip


def _transformers() -> BackendFacts:
    flags = (False, False, False)
    test = "tests/collector/backends/test_transformers_backend.py (transformers 5.23.0)"
    api = {
        "ignore_eos": _here("no (unknown fields refused with HTTP 422)", test),
        "min_tokens": _here("no (HTTP 422)", test),
        "tokenize": _here("no", test),
        "streamed_usage": _here("yes (always)", test),
        "prompt_logprobs": _here("no", "runs/ quality.logprob of the transformers runs"),
        "chat_template": _doc("yes", _HF_SERVE),
    }
    return _facts(
        "transformers", "Hugging Face transformers serve", _HF_SERVE, 8000, ("/health",),
        "transformers serve {model} --host 127.0.0.1 --port {port}", flags, {}, api, metrics_paths=(),
        checked_live="transformers 5.23.0 on CPU: " + test,
    )  # fmt: skip


def _documented_only(
    name: str, display: str, docs_url: str, port: int, ready: tuple[str, ...], launch: str,
    flags: tuple[bool, bool, bool], names: Mapping[str, tuple[str, ...]], *, chat_url: str,
    min_spelling: str = "yes", metrics_paths: tuple[str, ...] = ("/metrics",),
) -> BackendFacts:  # fmt: skip
    """A backend whose adapter comes from its documentation alone (never run against a real server here)."""
    api = {
        **_flag_facts(flags, docs_url, min_spelling),
        "streamed_usage": _UNKNOWN,
        "prompt_logprobs": _UNKNOWN,
        "chat_template": _doc("yes", chat_url),
    }
    return _facts(
        name, display, docs_url, port, ready, launch, flags, names, api, metrics_paths=metrics_paths
    )


def _documented() -> tuple[BackendFacts, ...]:
    lmdeploy = "https://lmdeploy.readthedocs.io/en/latest/llm/api_server.html"
    trtllm = "https://nvidia.github.io/TensorRT-LLM/commands/trtllm-serve/trtllm-serve.html"
    tgi = "https://huggingface.github.io/text-generation-inference/"
    mlc = "https://llm.mlc.ai/docs/deploy/rest.html"
    ollama = "https://docs.ollama.com/api-reference/get-version"
    openai = "https://platform.openai.com/docs/api-reference/completions"
    return (
        _documented_only(
            "lmdeploy", "LMDeploy", lmdeploy, 23333, ("/health", "/v1/models"),
            "lmdeploy serve api_server {model} --server-name 127.0.0.1 --server-port {port} --enable-metrics",
            (True, True, False),
            {
                "running_requests": ("lmdeploy:num_requests_running",),
                "waiting_requests": ("lmdeploy:num_requests_waiting",),
                "kv_cache_usage": ("lmdeploy:gpu_cache_usage_perc",),
                "prompt_tokens": ("lmdeploy:prompt_tokens",),
                "generation_tokens": ("lmdeploy:generation_tokens",),
            },
            chat_url=lmdeploy, min_spelling="yes (as min_new_tokens)",
        ),
        _documented_only(
            "trtllm", "TensorRT-LLM", trtllm, 8000, ("/health",),
            "trtllm-serve {model} --host 127.0.0.1 --port {port}", (True, True, False),
            {
                "running_requests": ("trtllm_num_requests_running",),
                "waiting_requests": ("trtllm_num_requests_waiting",),
                "kv_cache_usage": ("trtllm_kv_cache_utilization",),
                "prefix_cache_hits": ("trtllm_prompt_cache_hit_tokens", "trtllm_prompt_cached_tokens"),
                "prompt_tokens": ("trtllm_prompt_tokens",),
                "generation_tokens": ("trtllm_generation_tokens",),
            },
            chat_url=trtllm, metrics_paths=("/prometheus/metrics",),
        ),
        _documented_only(
            "tgi", "Hugging Face TGI", tgi, 3000, ("/health",),
            "text-generation-launcher --model-id {model} --hostname 127.0.0.1 --port {port}",
            (False, False, True),
            {  # the token counters are histogram sums: cumulative tokens of finished requests
                "running_requests": ("tgi_batch_current_size",),
                "waiting_requests": ("tgi_queue_size",),
                "prompt_tokens": ("tgi_request_input_length_sum",),
                "generation_tokens": ("tgi_request_generated_tokens_sum",),
            },
            chat_url="https://huggingface.co/docs/text-generation-inference/messages_api",
        ),
        _documented_only(
            "mlc", "MLC-LLM", mlc, 8000, ("/v1/models",),
            "mlc_llm serve {model} --host 127.0.0.1 --port {port}",
            (True, False, False),
            {"prompt_tokens": ("prompt_tokens_sum",), "generation_tokens": ("completion_tokens_sum",)},
            chat_url=mlc,
        ),
        _documented_only(
            "ollama", "Ollama", ollama, 11434, ("/api/version",),
            # Ollama reads its listen address from the environment; the model must be pulled first.
            "env OLLAMA_HOST=127.0.0.1:{port} ollama serve  # then: ollama pull {model}",
            (False, False, False),
            {}, chat_url="https://docs.ollama.com/api/openai-compatibility", metrics_paths=(),
        ),
        _documented_only(
            "openai", "OpenAI-compatible (generic)", openai, 8000, ("/v1/models",), "", (True, False, False),
            {}, chat_url="https://platform.openai.com/docs/api-reference/chat",
        ),
    )  # fmt: skip


BACKEND_FACTS: Mapping[str, BackendFacts] = MappingProxyType(
    {f.name: f for f in (_vllm(), _sglang(), *_documented(), _llamacpp(), _transformers())}
)
