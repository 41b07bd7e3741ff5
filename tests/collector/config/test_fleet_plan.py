"""`inferboard suite plan`: a stable, safe id per cell, the runner label each needs (server > suite defaults >
--default-runner), and the three formats; `collect --cell` refuses an unknown id in one line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from collector.cli.main import main
from collector.config.plan import cell_id, find_cell, github_matrix, plan_entries, plan_table
from collector.config.suite import SuiteError, expand, load_suite, parse_suite

SUITE = """\
name: fleet
defaults: {input_tokens: 16, output_tokens: 4, runner: gpu-h100}
load: {concurrency: [1, 4], requests: 8}
workloads:
  - name: chat
  - name: long.ctx
    input_tokens: 64
servers:
  - name: vllm-bf16
    backend: vllm
    endpoint: http://127.0.0.1:8000
  - name: mi300
    endpoint: http://127.0.0.1:8001
    runner: gpu-mi300x
"""


def _suite(tmp_path: Path, text: str = SUITE) -> Path:
    path = tmp_path / "fleet.yaml"
    path.write_text(text)
    return path


def test_cell_ids_are_unique_safe_and_stable() -> None:
    cells = expand(parse_suite(SUITE, "fleet.yaml"))
    ids = [cell_id(c) for c in cells]
    assert ids == ["vllm-bf16+chat", "vllm-bf16+long.ctx", "mi300+chat", "mi300+long.ctx"]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._+-]*", i) for i in ids)  # file, artifact, shell safe
    assert [cell_id(c) for c in expand(parse_suite(SUITE, "fleet.yaml"))] == ids  # same suite, same ids
    # Without workloads the id is the server's name.
    single = (
        "name: one\nservers:\n  - {name: a.b, endpoint: 'http://x:1'}\n  - {name: c, engine: {shape: tiny}}\n"
    )
    assert [cell_id(c) for c in expand(parse_suite(single, "one.yaml"))] == ["a.b", "c"]


def test_runner_comes_from_the_server_then_the_defaults_then_the_flag() -> None:
    cells = expand(parse_suite(SUITE, "fleet.yaml"))
    assert [c.runner for c in cells] == ["gpu-h100", "gpu-h100", "gpu-mi300x", "gpu-mi300x"]
    no_default = expand(parse_suite(SUITE.replace(", runner: gpu-h100", ""), "fleet.yaml"))
    assert [e["runner"] for e in plan_entries(no_default, "gpu")] == [
        "gpu",
        "gpu",
        "gpu-mi300x",
        "gpu-mi300x",
    ]
    with pytest.raises(SuiteError, match=r"cell 'vllm-bf16\+chat' has no runner label.*--default-runner"):
        github_matrix(no_default)
    with pytest.raises(SuiteError, match=r"servers\[1\]\.runner: String should match pattern"):
        parse_suite(SUITE.replace("runner: gpu-mi300x", "runner: 'gpu mi300x'"), "fleet.yaml")


def test_github_matrix_is_one_line_of_include_entries(tmp_path: Path) -> None:
    args = ["suite", "plan", str(_suite(tmp_path)), "--format", "github-matrix", "--default-runner", "x"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert result.output.count("\n") == 1
    assert json.loads(result.output) == {
        "include": [
            {"cell": "vllm-bf16+chat", "runner": "gpu-h100", "name": "vllm-bf16/chat"},
            {"cell": "vllm-bf16+long.ctx", "runner": "gpu-h100", "name": "vllm-bf16/long.ctx"},
            {"cell": "mi300+chat", "runner": "gpu-mi300x", "name": "mi300/chat"},
            {"cell": "mi300+long.ctx", "runner": "gpu-mi300x", "name": "mi300/long.ctx"},
        ]
    }


def test_json_and_text_say_what_each_cell_runs(tmp_path: Path) -> None:
    suite = str(_suite(tmp_path))
    result = CliRunner().invoke(main, ["suite", "plan", suite, "--format", "json"])
    assert result.exit_code == 0, result.output
    entries = json.loads(result.output)
    long_ctx = entries[1]
    assert (long_ctx["cell"], long_ctx["server"], long_ctx["workload"]) == (
        "vllm-bf16+long.ctx",
        "vllm-bf16",
        "long.ctx",
    )
    assert (long_ctx["mode"], long_ctx["backend"], long_ctx["levels"]) == ("external", "vllm", 2)
    assert long_ctx["options"] == {
        "concurrency": [1, 4],
        "requests": 8,
        "input_tokens": 64,
        "output_tokens": 4,
    }
    text = CliRunner().invoke(main, ["suite", "plan", suite])
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert lines[0].startswith(f"suite {suite} (sha256 ") and lines[0].endswith(": 4 cells")
    assert lines[3].split()[:2] == ["mi300+chat", "gpu-mi300x"]
    assert "concurrency 1, 4, 8 requests per level" in lines[3]


def test_bad_plans_are_one_error_line(tmp_path: Path) -> None:
    clash = SUITE.replace("name: mi300\n", "name: VLLM-bf16\n")
    result = CliRunner().invoke(main, ["suite", "plan", str(_suite(tmp_path, clash))])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "differ only in case" in result.output
    result = CliRunner().invoke(main, ["suite", "plan", str(_suite(tmp_path)), "--default-runner", "a b"])
    assert result.exit_code == 2 and "--default-runner 'a b'" in result.output
    servers = "".join(f"  - {{name: s{i}, endpoint: 'http://x:1'}}\n" for i in range(129))
    big = expand(parse_suite(SUITE.split("servers:")[0] + "servers:\n" + servers, "big.yaml"))
    assert len(big) == 258
    with pytest.raises(SuiteError, match="258 cells, over the 256 jobs a GitHub Actions matrix can hold"):
        github_matrix(big)


def test_an_unknown_cell_id_is_one_line_listing_the_valid_ids(tmp_path: Path) -> None:
    cells = expand(parse_suite(SUITE, "fleet.yaml"))
    assert find_cell(cells, "mi300+chat").name == "mi300/chat"
    result = CliRunner().invoke(main, ["collect", str(_suite(tmp_path)), "--cell", "mi300/chat"])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "no cell with id 'mi300/chat'" in result.output
    assert "vllm-bf16+chat, vllm-bf16+long.ctx, mi300+chat, mi300+long.ctx" in result.output
    dry = CliRunner().invoke(main, ["collect", str(_suite(tmp_path)), "--cell", "mi300+chat", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "1 runs" in dry.output and "mi300/chat" in dry.output and "vllm-bf16" not in dry.output
    alone = CliRunner().invoke(main, ["collect", "--cell", "mi300+chat"])
    assert alone.exit_code == 2 and "--cell needs a suite file" in alone.output


def test_the_documented_plan_matches_the_command() -> None:
    docs = Path(__file__).resolve().parents[3] / "docs"
    blocks = (docs / "suites.md").read_text().split("```")[1::2]
    (documented,) = [b for b in blocks if b.startswith("text\nsuite docs/examples/suite-example.yaml")]
    loaded = load_suite(docs / "examples" / "suite-example.yaml")
    plan = plan_table(expand(parse_suite(loaded.text, "docs/examples/suite-example.yaml")), "gpu")
    for line in documented.split("\n", 1)[1].splitlines():
        if line.strip() != "...":
            assert line in plan.splitlines(), line
