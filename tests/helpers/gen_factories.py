"""Synthetic, schema-valid run records for generator tests. Clearly fake: every run carries the label
'synthetic-test' and the numbers follow a formula, not a measurement. Never written into runs/."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from collector.schema import (
    GPU,
    SLO,
    Backend,
    ClientHealth,
    Collector,
    ConfidenceInterval,
    Energy,
    Goodput,
    Hardware,
    Host,
    Launch,
    LevelResult,
    ModelInfo,
    Origin,
    Quantization,
    RepeatSummary,
    RequestRecord,
    RunRecord,
    ServerMetrics,
    Serving,
    Software,
    Summary,
    Telemetry,
    TelemetrySample,
    Timeouts,
    Workload,
)

HOSTILE = {
    "script": "<script>window.__pwned=1;alert(1)</script>",
    "img": '<img src=x onerror="window.__pwned=2;alert(2)">',
    "jinja": "{{ 7*7 }} {% raw %}x{% endraw %}",
    "markdown": "[click](javascript:alert(3)) **bold** `code` :smile:",
    "js_link": "javascript:alert(4)",
}
HOSTILE_MODEL = HOSTILE["script"] + " " + HOSTILE["jinja"]


def summary(center: float, spread: float = 0.2, count: int = 32) -> Summary:
    return Summary(
        count=count,
        mean=center,
        std=center * spread / 2,
        min=center * (1 - spread),
        max=center * (1 + 2 * spread),
        p50=center,
        p90=center * (1 + spread),
        p95=center * (1 + 1.3 * spread),
        p99=center * (1 + 1.8 * spread),
    )


def level(
    concurrency: int,
    speed: float,
    gpus: int,
    trial: int = 0,
    *,
    requests: int = 12,
    energy: bool = True,
    saturated: bool = False,
    status: str = "complete",
    errors: dict[str, int] | None = None,
    rng: random.Random | None = None,
) -> LevelResult:
    rng = rng or random.Random(concurrency * 7 + trial)
    tpot = 10.0 / speed * (1 + 0.05 * concurrency) * (1 + 0.02 * trial)
    ttft = 40.0 / speed * (1 + 0.15 * concurrency)
    out_tok = 128
    e2e = ttft + tpot * (out_tok - 1)
    throughput = concurrency * out_tok / (e2e / 1000)
    failed = sum((errors or {}).values())
    reqs = [
        RequestRecord(
            scheduled_ms=i * 5.0,
            sent_ms=i * 5.0 + 0.1,
            status="ok",
            ttft_ms=ttft * rng.uniform(0.8, 1.4),
            e2e_ms=e2e * rng.uniform(0.9, 1.2),
            tpot_ms=tpot * rng.uniform(0.9, 1.1),
            input_tokens=256,
            output_tokens=out_tok,
            chunks=out_tok,
        )
        for i in range(requests)
    ]
    return LevelResult(
        concurrency=concurrency,
        request_rate=None,
        trial=trial,
        status=status,  # type: ignore[arg-type]
        completed=64,
        failed=failed,
        errors=errors or {},
        duration_s=64 * e2e / 1000 / concurrency,
        ttft_ms=summary(ttft),
        tpot_ms=summary(tpot, 0.1),
        itl_ms=summary(tpot, 0.3),
        e2e_ms=summary(e2e, 0.1),
        per_user_tok_s=summary(1000 / tpot, 0.1),
        itl_quantiles_ms=[tpot * (0.5 + i / 100) for i in range(101)],
        output_throughput_tok_s=throughput,
        output_throughput_per_gpu_tok_s=throughput / gpus if gpus else None,
        total_token_throughput_tok_s=throughput * 3,
        request_throughput_rps=throughput / out_tok,
        input_tokens_total=64 * 256,
        output_tokens_total=64 * out_tok,
        goodput=Goodput(requests=60, fraction=60 / (64 + failed), rate_rps=throughput / out_tok * 0.9),
        energy=Energy(
            method="nvml-energy-counter",
            joules=500.0,
            joules_per_output_token=0.5 / speed,
            avg_power_w=300.0,
            samples=20,
            valid=True,
        )
        if energy and gpus
        else None,
        server_metrics=ServerMetrics(
            deltas={"vllm:num_requests_total": 64.0},
            peaks={"vllm:num_requests_running": float(concurrency)},
            scrapes=4,
        ),
        client=ClientHealth(
            loop_lag_p99_ms=1.0,
            cpu_percent=30.0,
            saturated=saturated,
            reason="cpu over 90%" if saturated else None,
        ),
        requests=reqs,
    )


def make_run(
    run_id: str = "a1b2c3d4e5f6",
    *,
    backend: str = "vllm",
    version: str | None = "0.6.3",
    model: str = "meta-llama/Llama-3.1-8B-Instruct",
    weights: str = "real",
    accelerator: str = "gpu",
    gpus: int = 1,
    origin: str = "measured",
    levels: tuple[int, ...] = (1, 4, 16),
    repeats: int = 1,
    speed: float = 1.0,
    labels: list[str] | None = None,
    status: str = "complete",
    saturated_levels: tuple[int, ...] = (),
    quant: str | None = "FP8",
    created_day: int = 0,
    launch_argv: list[str] | None = None,
    error_text: str | None = None,
) -> RunRecord:
    if accelerator == "cpu":
        gpus = 0
    results = []
    for c in levels:
        for t in range(repeats):
            results.append(
                level(
                    c,
                    speed,
                    gpus,
                    t,
                    saturated=c in saturated_levels,
                    errors={"http_503": 1} if error_text else None,
                )
            )
    if error_text:
        results[0].requests.append(
            RequestRecord(scheduled_ms=1, sent_ms=1, status="http_503", error=error_text)
        )
    summaries = []
    if repeats > 1:
        for c in levels:
            trials = [r for r in results if r.concurrency == c]
            est = sum(r.output_throughput_tok_s for r in trials) / len(trials)
            ttft = sum(r.ttft_ms.p50 or 0.0 for r in trials if r.ttft_ms) / len(trials)
            summaries.append(
                RepeatSummary(
                    concurrency=c,
                    request_rate=None,
                    trials=repeats,
                    intervals={
                        "output_throughput_tok_s": ConfidenceInterval(
                            estimate=est, low=est * 0.95, high=est * 1.05, trials=repeats
                        ),
                        "ttft_ms.p50": ConfidenceInterval(
                            estimate=ttft, low=ttft * 0.9, high=ttft * 1.1, trials=repeats
                        ),
                    },
                )
            )
    created = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(days=created_day)
    samples = [
        TelemetrySample(
            t_s=i * 0.5, gpu=g, power_w=250.0 + 10 * (i % 5), util_pct=80.0, memory_used_mib=40000.0
        )
        for i in range(20)
        for g in range(gpus)
    ]
    return RunRecord(
        run_id=run_id,
        created_at=created,
        started_at=created,
        finished_at=created + timedelta(minutes=5),
        status=status,
        status_reason=None if status == "complete" else "server stopped answering",  # type: ignore[arg-type]
        origin=Origin(kind=origin, tool="vllm bench serve" if origin == "imported" else None),  # type: ignore[arg-type]
        collector=Collector(version="0.1.0", git_sha="deadbeef"),
        command=[
            "inferboard",
            "collect",
            "--base-url",
            "http://127.0.0.1:8000",
            "--concurrency",
            ",".join(map(str, levels)),
        ],
        backend=Backend(
            name=backend, version=version, version_source="endpoint", endpoint="http://127.0.0.1:8000"
        ),
        launch=Launch(
            mode="managed",
            argv=launch_argv or [backend, "serve", model, "--port", "8000"],
            env={"CUDA_VISIBLE_DEVICES": "0"},
            startup_s=12.5,
        ),
        model=ModelInfo(name=model, weights=weights, architecture="llama"),  # type: ignore[arg-type]
        quantization=Quantization(format=quant, weights_dtype="fp8" if quant else "bf16", source="flag"),
        serving=Serving(tensor_parallel=gpus or None, max_batch=256, prefix_caching=True),
        hardware=Hardware(
            accelerator=accelerator,  # type: ignore[arg-type]
            host=Host(cpu_model="Synthetic CPU 9000", cpu_cores_logical=32, python="3.11.7", ram_gib=256.0),
            gpus=[GPU(index=g, name="NVIDIA H100 80GB HBM3", memory_mib=81559.0) for g in range(gpus)],
            gpu_count=gpus,
            driver_version="550.54" if gpus else None,
            cuda_version="12.4" if gpus else None,
            nvml_available=bool(gpus),
            nvml_reason=None if gpus else "no NVIDIA GPU",
        ),
        software=Software(python="3.11.7", platform="Linux-synthetic", packages={"httpx": "0.27.0"}),
        workload=Workload(
            api="chat",
            input_tokens=256,
            output_tokens=128,
            input_length_method="tokenize_endpoint",
            ignore_eos=True,
            seed=0,
            mode="concurrency",
            requests_per_level=64,
            repeats=repeats,
            timeouts=Timeouts(connect_s=10, read_s=60, total_s=600),
            slo=SLO(ttft_ms=500, tpot_ms=50),
        ),
        results=results,
        repeat_summaries=summaries,
        telemetry=Telemetry(
            available=bool(gpus), reason=None if gpus else "no NVIDIA GPU", sample_hz=2.0, samples=samples
        ),
        labels=["synthetic-test", *(labels or [])],
    )


def write_run(folder: Path, record: RunRecord, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"{record.run_id}.json")
    path.write_text(record.model_dump_json(indent=1), encoding="utf-8")
    return path


def standard_runs() -> list[RunRecord]:
    """A small board: two GPU backends (one with repeats), a CPU random-weights run, an imported run."""
    return [
        make_run("aaaa00000001", backend="vllm", speed=1.2, repeats=3, saturated_levels=(16,)),
        make_run("aaaa00000002", backend="sglang", version="0.3.5", speed=1.0, created_day=1),
        make_run(
            "aaaa00000003",
            backend="llama.cpp",
            version="b4000",
            model="tiny-random-llama",
            weights="random",
            accelerator="cpu",
            quant="GGUF Q4_0",
            speed=0.1,
            created_day=2,
        ),
        make_run(
            "aaaa00000004",
            backend="vllm",
            version="0.5.0",
            origin="imported",
            speed=0.9,
            status="incomplete",
            created_day=3,
        ),
    ]


def hostile_run(run_id: str = "bad0bad0bad0") -> RunRecord:
    return make_run(
        run_id,
        backend=HOSTILE["img"],
        version=HOSTILE["jinja"],
        model=HOSTILE_MODEL,
        quant=HOSTILE["markdown"],
        labels=[HOSTILE["script"]],
        launch_argv=["vllm", "serve", HOSTILE["img"], HOSTILE["markdown"]],
        error_text=HOSTILE["script"] + HOSTILE["img"],
    )


def record_dict(record: RunRecord) -> dict[str, Any]:
    data: dict[str, Any] = record.model_dump(mode="json")
    return data
