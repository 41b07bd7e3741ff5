"""Suite files: validation errors, expansion, the dry-run plan, and a suite whose middle cell fails."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import httpx
import pytest

from collector.config.suite import (
    Cell,
    SuiteError,
    expand,
    load_suite,
    parse_suite,
    plan_text,
    run_cells,
    select,
)
from collector.server.launch import ManagedServer
from tests.helpers.netutil import free_port

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "docs" / "examples"
TOY = str(Path(__file__).resolve().parents[2] / "helpers" / "prov_toy_server.py")


def write(tmp_path: Path, text: str, name: str = "suite.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_example_suites_load_and_expand() -> None:
    example = load_suite(EXAMPLES / "suite-example.yaml")
    cells = expand(example)
    assert [c.name for c in cells][:3] == ["vllm-bf16/chat", "vllm-bf16/long-context", "vllm-fp8/chat"]
    assert len(cells) == 8
    assert example.sha256 == hashlib.sha256((EXAMPLES / "suite-example.yaml").read_bytes()).hexdigest()
    for cell in cells:
        assert cell.suite.sha256 == example.sha256 and cell.suite.text == example.text
        assert cell.suite.cell == cell.name
    chat, long_context = cells[0].options, cells[1].options
    assert chat.requests == 256 and long_context.requests == 128  # workload over load
    assert chat.repeats == 3 and chat.concurrency == [1, 8, 32, 64, 128]
    tgi = next(c for c in cells if c.server.name == "remote-tgi")
    assert tgi.options.concurrency == [1, 8, 32] and tgi.server.mode == "external"
    fp8 = cells[2]
    assert fp8.quantization.format == "FP8" and fp8.quantization.source == "suite"
    assert fp8.quantization.kv_cache_dtype == "fp8"  # from the launch line
    assert fp8.serving.max_batch == 256
    assert fp8.options.api_key_env == "VLLM_API_KEY"
    assert cells[4].serving.tensor_parallel == 2

    cpu = expand(load_suite(EXAMPLES / "suite-cpu.yaml"))
    assert [c.name for c in cpu] == ["embedded-tiny", "managed-tiny"]
    assert cpu[0].server.mode == "embedded" and cpu[1].server.mode == "managed"
    assert cpu[1].serving.max_batch == 4


def test_plan_text_lists_every_run_without_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VLLM_API_KEY", "sk-should-never-be-printed-1234567")
    cells = expand(load_suite(EXAMPLES / "suite-example.yaml"))
    plan = plan_text(cells)
    assert plan.startswith("suite ") and "8 runs, 108 load levels" in plan
    for cell in cells:
        assert cell.name in plan
    assert "concurrency 1, 8, 32, 64, 128 (x 3 repeats)" in plan
    assert "sk-should-never-be-printed" not in plan and "<redacted>" in plan
    assert plan_text([]) == "no runs planned\n"


def test_env_references_are_expanded_at_launch_only(monkeypatch: pytest.MonkeyPatch) -> None:
    cells = expand(load_suite(EXAMPLES / "suite-example.yaml"))
    fp8 = cells[2]
    environ = {"VLLM_API_KEY": "sk-from-env-abcdefgh12345678", "HF_TOKEN": "hf_x"}
    argv = fp8.launch_argv(environ)
    assert argv is not None and argv[argv.index("--api-key") + 1] == "sk-from-env-abcdefgh12345678"
    assert cells[0].environ(environ)["HF_TOKEN"] == "hf_x"
    with pytest.raises(SuiteError, match="VLLM_API_KEY is referenced by the suite but not set"):
        fp8.launch_argv({})
    assert "sk-from-env" not in fp8.suite.text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\nservers: [\n", r"suite.yaml: line \d+: invalid YAML"),
        ("- just a list\n", "must be a YAML mapping"),
        ("name: x\n", r"suite.yaml: servers: Field required"),
        ("name: x\nservers:\n  - name: a\n    endpoint: http://h\n    lanch: vllm serve\n",
         r"servers\[0\]\.lanch: Extra inputs are not permitted"),
        ("name: x\nservers:\n  - name: a\n", r"servers\[0\]: Value error, give an endpoint"),
        ("name: x\nservers:\n  - name: a\n    engine: {shape: tiny}\n    endpoint: http://h\n",
         "an engine server takes no endpoint"),
        ("name: x\nload: {concurrency: [0]}\nservers:\n  - {name: a, endpoint: 'http://h'}\n",
         r"load\.concurrency: Value error, concurrency must be >= 1, got 0"),
        ("name: x\nload: {concurrency: [1], request_rate: [2]}\nservers:\n  - {name: a, endpoint: 'http://h'}\n",
         "give concurrency or request_rate levels, not both"),
        ("name: x\nservers:\n  - {name: a, endpoint: 'http://h'}\n  - {name: a, endpoint: 'http://h'}\n",
         "duplicate name 'a'"),
        ("name: x\nservers:\n  - {name: 'bad name', endpoint: 'http://h'}\n", r"servers\[0\]\.name"),
        ("name: x\ndefaults: {repeats: 0}\nservers:\n  - {name: a, endpoint: 'http://h'}\n",
         r"defaults\.repeats: Value error, repeats must be >= 1, got 0"),
    ],
)  # fmt: skip
def test_invalid_suites_name_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SuiteError, match=message) as caught:
        expand(load_suite(path))
    assert str(caught.value).startswith(str(path))
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("name: x\nservers:\n  - name: a\n    endpoint: http://h\n    env: {HF_TOKEN: hf_literal_value}\n",
         "servers[0].env.HF_TOKEN"),
        ("name: x\nservers:\n  - name: a\n    endpoint: http://h\n    launch: vllm --api-key abc12345\n",
         "servers[0].launch (a secret value in the launch line)"),
        ("name: x\ndefaults: {api_key: sk-1234567890abcdef}\nservers:\n  - {name: a, endpoint: 'http://h'}\n",
         "defaults.api_key"),
    ],
)  # fmt: skip
def test_secret_values_in_a_suite_are_refused(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(SuiteError, match="secret values must not be written in a suite file") as caught:
        load_suite(write(tmp_path, text))
    assert key in str(caught.value)
    for secret in ("hf_literal_value", "abc12345", "sk-1234567890abcdef"):
        assert secret not in str(caught.value)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match=r"missing\.yaml: cannot read suite file"):
        load_suite(tmp_path / "missing.yaml")
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00name")
    with pytest.raises(SuiteError, match=r"bin\.yaml: suite file is not UTF-8"):
        load_suite(binary)


def test_relative_paths_resolve_against_the_suite_folder(tmp_path: Path) -> None:
    text = (
        "name: x\ndefaults: {dataset: data/prompts.jsonl}\n"
        "servers:\n  - name: a\n    engine: {gguf: models/m.gguf}\n"
    )
    (cell,) = expand(load_suite(write(tmp_path, text)))
    assert cell.options.dataset == tmp_path / "data" / "prompts.jsonl"
    assert cell.server.engine is not None and cell.server.engine.gguf == str(tmp_path / "models" / "m.gguf")
    assert cell.workload is None and cell.name == "a"


def test_select_cells_by_name() -> None:
    cells = expand(load_suite(EXAMPLES / "suite-example.yaml"))
    assert [c.name for c in select(cells, ["vllm-fp8"])] == ["vllm-fp8/chat", "vllm-fp8/long-context"]
    assert [c.name for c in select(cells, ["remote-tgi/chat"])] == ["remote-tgi/chat"]
    assert select(cells, []) == cells
    with pytest.raises(SuiteError, match="no suite cell named 'nope'"):
        select(cells, ["nope"])


@pytest.mark.slow
def test_run_cells_reports_a_failed_cell_and_runs_the_others(tmp_path: Path) -> None:
    ports = [free_port() for _ in range(3)]
    servers = "".join(
        f"  - name: {name}\n    backend: openai\n"
        f"    launch: ['{sys.executable}', '{TOY}', '--port', '{port}'{extra}]\n"
        f"    endpoint: http://127.0.0.1:{port}\n"
        for name, port, extra in (
            ("first", ports[0], ""),
            ("broken", ports[1], ", '--exit-after', '0.1', '--exit-code', '7'"),
            ("third", ports[2], ""),
        )
    )
    suite = load_suite(
        write(tmp_path, f"name: failing-cell\nload: {{concurrency: [1]}}\nservers:\n{servers}")
    )
    cells = expand(suite)

    def run_one(cell: Cell) -> int:
        argv = cell.launch_argv()
        assert argv is not None and cell.server.endpoint is not None
        log = tmp_path / f"{cell.server.name}.log"
        with ManagedServer(argv, cell.environ(), log, cell.server.endpoint + "/health", ready_timeout_s=60):
            return httpx.get(cell.server.endpoint + "/health").status_code

    reported: list[str] = []
    outcomes = run_cells(cells, run_one, on_error=lambda cell, exc: reported.append(cell.name))
    assert [(o.cell.name, o.result) for o in outcomes] == [("first", 200), ("broken", None), ("third", 200)]
    assert reported == ["broken"]
    error = outcomes[1].error
    assert error is not None and error.startswith("LaunchError: server exited with status 7")
    assert "\n" not in error


def test_keyboard_interrupt_stops_the_suite(tmp_path: Path) -> None:
    cells = expand(
        parse_suite(
            "name: x\nservers:\n  - {name: a, endpoint: 'http://h'}\n  - {name: b, endpoint: 'http://h'}\n"
        )
    )
    seen: list[str] = []

    def run_one(cell: Cell) -> None:
        seen.append(cell.name)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_cells(cells, run_one)
    assert seen == ["a"]


def _doc_blocks(language: str) -> list[str]:
    text = (REPO / "docs" / "suites.md").read_text()
    return [block.split("\n", 1)[1] for block in text.split("```")[1::2] if block.startswith(language + "\n")]


def test_the_documented_example_is_the_example_file() -> None:
    documented = [b for b in _doc_blocks("yaml") if b.startswith("name: llama31-8b-h100")]
    assert len(documented) == 1
    assert parse_suite(documented[0]).spec == load_suite(EXAMPLES / "suite-example.yaml").spec


def test_the_documented_dry_run_matches_plan_text() -> None:
    (documented,) = [b for b in _doc_blocks("text") if b.startswith("suite docs/examples/suite-cpu.yaml")]
    loaded = load_suite(EXAMPLES / "suite-cpu.yaml")
    loaded = parse_suite(loaded.text, "docs/examples/suite-cpu.yaml")
    plan = plan_text(expand(loaded)).splitlines()
    for line in documented.splitlines():
        if line.strip() != "...":
            assert line in plan, line
