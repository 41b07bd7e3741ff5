"""The Agreement, Changes and per-configuration History pages (see analysis.agreement, analysis.history).

`write_quality_pages` is the one call site.py makes; run pages link to their history through
`history_md`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from collector.schema import QUALITY_DEFINITIONS, RunRecord
from generator.analysis.agreement import AgreementGroup, RunAgreement, agreement_groups
from generator.analysis.history import METRICS, Change, all_changes, config_key, histories
from generator.data.load import LoadedRun
from generator.data.tables import as_utc, hardware_text, quant_text, short_backend, short_id, workload_text
from generator.figures.history import history_figures
from generator.pages.common import SiteContext, trusted
from generator.render.safe import clean_text
from generator.render.templates import md_link, relative_url, template

NAV = [("agreement.md", "Agreement"), ("changes.md", "Changes")]


def history_md(record: RunRecord) -> str:
    """The history page of a run's configuration, relative to the docs root."""
    return f"history/{config_key(record)}.md"


def _num(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.{digits}g}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _label(record: RunRecord) -> str:
    return clean_text(
        f"{record.backend.name} · {record.model.name} · {hardware_text(record)} · {quant_text(record)} · "
        f"{workload_text(record)}"
    )


def _perplexity(record: RunRecord) -> str:
    score = record.quality.logprob if record.quality else None
    if score is None:
        return "—"
    if score.perplexity is None:
        return "not offered"
    return f"{score.perplexity:.3f} ({score.method})"


def _answer_text(text: str | None) -> str:
    if text is None:
        return "(no answer)"
    return text or "(empty answer)"


# A weights group with more runs than this lists the reference, every diverging run and then the others up
# to this many rows, and shows one differing-answers column per distinct set of answers instead of per run:
# a popular model measured thousands of times would otherwise make a page of many megabytes (issue 24).
AGREEMENT_ROWS = 200


def _run_row(ctx: SiteContext, group: AgreementGroup, run: RunAgreement, page: str) -> dict[str, Any]:
    r = run.record
    return {
        "slug": run.slug,
        "short": short_id(run.slug),
        "href": relative_url(page, f"runs/{run.slug}.md", ctx.dir_urls),
        "reference": run.slug == group.reference,
        "backend": clean_text(short_backend(r.backend.name, r.backend.version or "unknown")),
        "quant": quant_text(r),
        "bits": run.bits or "unknown",
        "exact": _pct(run.exact_match),
        "prefix": _num(run.prefix_chars),
        "compared": run.compared,
        "agreement": _pct(run.agreement),
        "perplexity": _perplexity(r),
        "diverges": run.diverges,
        "by_name": run.by_name,
    }


def _answer_columns(group: AgreementGroup) -> list[tuple[str, list[str]]]:
    """(column heading, slugs) of the differing-answers table: one per run, or, in a group too large for
    that, one per distinct set of differing answers (the reference's first), headed by its run count."""
    slugs = [run.slug for run in group.runs]  # the reference first (agreement_groups sorts it there)
    if len(slugs) <= AGREEMENT_ROWS:
        return [(short_id(s), [s]) for s in slugs]
    by_answers: dict[tuple[str | None, ...], list[str]] = {}
    for slug in slugs:
        by_answers.setdefault(tuple(d.answers.get(slug) for d in group.differing), []).append(slug)
    return [(f"{_runs(len(members))} ({_first_two(members)})", members) for members in by_answers.values()]


def _runs(count: int) -> str:
    return f"{count} run" if count == 1 else f"{count} runs"


def _first_two(slugs: list[str]) -> str:
    return ", ".join(short_id(s) for s in slugs[:2]) + (", …" if len(slugs) > 2 else "")


def _group_context(ctx: SiteContext, group: AgreementGroup, page: str) -> dict[str, Any]:
    listed = sorted(group.runs, key=lambda r: (r.slug != group.reference, not r.diverges))[:AGREEMENT_ROWS]
    listed_slugs = {r.slug for r in listed}
    columns = _answer_columns(group)
    differing = [
        {
            "prompt": d.prompt,
            "cells": [
                {
                    "text": _answer_text(d.answers.get(members[0])),
                    "differs": group.reference not in members and d.answers.get(members[0]) != d.reference,
                }
                for _, members in columns
            ],
        }
        for d in group.differing
    ]
    return {
        "title": clean_text(group.weights),
        "basis": clean_text(group.basis),
        "prompt_set_version": group.prompt_set_version,
        "rows": [_run_row(ctx, group, run, page) for run in group.runs if run.slug in listed_slugs],
        "run_count": len(group.runs),
        "unlisted": len(group.runs) - len(listed),
        "slugs": [heading for heading, _ in columns],
        "differing": differing,
    }


def _change_row(ctx: SiteContext, change: Change) -> dict[str, Any]:
    page = "changes.md"
    return {
        "date": as_utc(change.new.record.created_at).strftime("%Y-%m-%d"),
        "backend": clean_text(change.backend),
        "config": _label(change.new.record),
        "history": relative_url(page, history_md(change.new.record), ctx.dir_urls),
        "old_version": clean_text(change.old.record.backend.version or "unknown"),
        "new_version": clean_text(change.new.record.backend.version or "unknown"),
        "old_href": relative_url(page, f"runs/{change.old.slug}.md", ctx.dir_urls),
        "new_href": relative_url(page, f"runs/{change.new.slug}.md", ctx.dir_urls),
        "level": change.level,
        "metric": METRICS[change.metric][0] if change.metric in METRICS else "—",
        "old": _num(change.old_value, 4),
        "new": _num(change.new_value, 4),
        "relative": "—" if change.relative is None else f"{change.relative:+.1%}",
        "kind": change.kind,
        "basis": change.basis,
    }


def _history_page(ctx: SiteContext, key: str, runs: list[LoadedRun], changes: list[Change]) -> str:
    page = f"history/{key}.md"
    rows = [
        {
            "slug": run.slug,
            "short": short_id(run.slug),
            "href": relative_url(page, f"runs/{run.slug}.md", ctx.dir_urls),
            "date": as_utc(run.record.created_at).strftime("%Y-%m-%d %H:%M UTC"),
            "version": clean_text(run.record.backend.version or "unknown"),
            "measurement": run.record.collector.measurement_version or "unknown",
        }
        for run in reversed(runs)
    ]
    versions = {run.record.collector.measurement_version for run in runs}
    return template("history.md.j2").render(
        fragments=ctx.fragments,
        label=_label(runs[-1].record),
        key=key,
        rows=rows,
        figures=history_figures(runs),
        mixed_measurement=len(versions) > 1,
        changes=[_change_row(ctx, c) for c in changes],
        changes_link=md_link(page, "changes.md"),
    )


def write_quality_pages(ctx: SiteContext, docs: Path) -> list[tuple[str, str]]:
    """Write agreement.md, changes.md and history/<key>.md; returns their nav entries."""
    definitions = {d.key: d for d in QUALITY_DEFINITIONS}
    groups = [_group_context(ctx, g, "agreement.md") for g in agreement_groups(ctx.runs)]
    (docs / "agreement.md").write_text(
        template("agreement.md.j2").render(
            fragments=ctx.fragments,
            groups=groups,
            trusted=trusted,
            definitions=[
                definitions[k]
                for k in (
                    "quality_pass",
                    "weights_group",
                    "reference_run",
                    "exact_match_rate",
                    "common_prefix_chars",
                    "answers_diverge",
                    "mean_logprob",
                )
            ],
        ),
        encoding="utf-8",
    )
    changes = all_changes(ctx.runs)
    (docs / "changes.md").write_text(
        template("changes.md.j2").render(
            fragments=ctx.fragments,
            changes=[_change_row(ctx, c) for c in changes if c.kind != "not comparable"],
            incomparable=[_change_row(ctx, c) for c in changes if c.kind == "not comparable"],
            trusted=trusted,
            definitions=[definitions[k] for k in ("config_key", "regression")],
        ),
        encoding="utf-8",
    )
    (docs / "history").mkdir(parents=True, exist_ok=True)
    for key, runs in histories(ctx.runs).items():
        mine = [c for c in changes if c.key == key]
        (docs / "history" / f"{key}.md").write_text(_history_page(ctx, key, runs, mine), encoding="utf-8")
    return NAV
