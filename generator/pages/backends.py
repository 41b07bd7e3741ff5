"""The Backends section: an index and one profile page per backend adapter (`backends/<name>.md`).

A profile joins what the adapter declares (`collector.schema.BACKEND_FACTS`: documentation, launch line,
metric names, API facts each labelled "documented" or "checked here") with what the runs measured (versions,
hardware, models and quantizations, startup and memory spreads over the launches the collector saw, the
verdicts its configurations reached). Backends in runs that no adapter knows get no profile; they still
appear everywhere else on the site.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from collector.schema import API_CHECKS, BACKEND_FACTS, BackendFacts
from generator.analysis.configs import configurations
from generator.analysis.decide import Group, decision_groups
from generator.analysis.launches import MEASURED_MODES, launch_spread, spread_text
from generator.data.columns import LAUNCH_BY_KEY, LAUNCH_COLUMNS
from generator.data.load import LoadedRun
from generator.data.tables import class_label, hardware_text, quant_text, run_class
from generator.pages.common import SiteContext
from generator.render.safe import clean_text
from generator.render.templates import relative_url, template

INDEX = "backends/index.md"
COMPARISON = "backends/comparison.md"


def backend_page(name: str) -> str:
    """backends/<name>.md, the name reduced to letters, digits and dashes ('llama.cpp' -> 'llama-cpp')."""
    return f"backends/{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-') or 'backend'}.md"


def backend_runs(runs: Sequence[LoadedRun], name: str) -> list[LoadedRun]:
    return [run for run in runs if run.record.backend.name.strip().lower() == name]


def status_text(facts: BackendFacts, runs: Sequence[LoadedRun]) -> str:
    """Whether inferboard ever ran this adapter against a real server, and what the runs here are."""
    if facts.checked_live is None:
        head = "Never run against a real server here: every fact below comes from its documentation."
    else:
        head = f"Checked against the real server here: {facts.checked_live}."
    if not runs:
        return f"{head} No run of this backend is in this site."
    modes = Counter(run.record.launch.mode for run in runs)
    parts = ", ".join(f"{n} {mode}" for mode, n in sorted(modes.items()))
    return f"{head} {len(runs)} run{'s' if len(runs) != 1 else ''} in this site ({parts})."


@dataclass(frozen=True)
class VerdictLine:
    comparison: str
    point: str
    place: str  # "1st of 3"
    verdict: str  # the ranking's verdict, in words
    value: str
    href: str


_VERDICT_WORDS = {
    "winner": "winner named",
    "tie": "tie at the top",
    "one_trial": "not decidable: one trial",
    "single": "only configuration",
    "blocked": "not decidable",
    "none": "no clean level",
}


def ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def best_verdicts(groups: Sequence[Group], keys: set[str], page: str, dir_urls: bool) -> list[VerdictLine]:
    """Where this backend's configurations (keys) placed in the home page's rankings, its best first."""
    found: list[tuple[int, VerdictLine]] = []
    for group in groups:
        comparison = f"{group.model} · {group.hardware} · {group.workload} ({class_label(group.klass)})"
        for ranking in group.rankings:
            if ranking.kind != "interval":
                continue  # capacity rankings rank single runs, not configurations
            index = next((i for i, s in enumerate(ranking.scores) if s.slug in keys), None)
            if index is None:
                continue
            score = ranking.scores[index]
            line = VerdictLine(
                comparison,
                ranking.point,
                f"{ordinal(index + 1)} of {len(ranking.scores)}",
                _VERDICT_WORDS.get(ranking.verdict, ranking.verdict),
                f"{score.value:.4g} {ranking.unit} ({score.where})",
                relative_url(page, score.link, dir_urls),
            )
            found.append((index, line))
    found.sort(key=lambda item: item[0])
    return [line for _, line in found]


def measured_facts(runs: Sequence[LoadedRun]) -> dict[str, Any]:
    records = [run.record for run in runs]
    versions = Counter(clean_text(r.backend.version or "unknown") for r in records)
    hardware = Counter(f"{hardware_text(r)} ({class_label(run_class(r))})" for r in records)
    served = Counter(f"{clean_text(r.model.name)} · {quant_text(r)}" for r in records)
    launched = sum(1 for r in records if r.launch.mode in MEASURED_MODES)
    return {
        "versions": sorted(versions.items()),
        "hardware": sorted(hardware.items()),
        "served": sorted(served.items()),
        "launched": launched,
        "launch": [(c, spread_text(launch_spread(records, c), c)) for c in LAUNCH_COLUMNS],
    }


def api_rows(facts: BackendFacts) -> list[dict[str, str]]:
    rows = []
    for key, meaning in API_CHECKS.items():
        fact = facts.api[key]
        url = fact.source if fact.source.startswith("https://") else ""
        rows.append(
            {"check": meaning, "value": fact.value, "basis": fact.basis, "url": url, "source": fact.source}
        )
    return rows


def profile_page(ctx: SiteContext, facts: BackendFacts, groups: Sequence[Group], keys: set[str]) -> str:
    page = backend_page(facts.name)
    runs = backend_runs(ctx.runs, facts.name)
    return template("backend.md.j2").render(
        fragments=ctx.fragments,
        facts=facts,
        status=status_text(facts, runs),
        api=api_rows(facts),
        metric_names=sorted(facts.metric_names.items()),
        generic=facts.name == "openai",
        measured=measured_facts(runs),
        verdicts=best_verdicts(groups, keys, page, ctx.dir_urls),
        run_links=[(run.slug, relative_url(page, f"runs/{run.slug}.md", ctx.dir_urls)) for run in runs],
        index_href=relative_url(page, INDEX, ctx.dir_urls),
        comparison_href=relative_url(page, COMPARISON, ctx.dir_urls),
        methodology_href=relative_url(page, "methodology.md", ctx.dir_urls),
    )


def index_page(ctx: SiteContext) -> str:
    rows = []
    for name, facts in sorted(BACKEND_FACTS.items(), key=lambda item: item[1].display_name.lower()):
        records = [run.record for run in backend_runs(ctx.runs, name)]
        startup, rss = (LAUNCH_BY_KEY[key] for key in ("startup_s", "host_rss_mib"))
        rows.append(
            {
                "name": facts.display_name,
                "href": relative_url(INDEX, backend_page(name), ctx.dir_urls),
                "runs": len(records),
                "live": facts.checked_live is not None,
                "startup": spread_text(launch_spread(records, startup), startup),
                "rss": spread_text(launch_spread(records, rss), rss),
            }
        )
    return template("backends_index.md.j2").render(
        fragments=ctx.fragments, rows=rows, comparison_href=relative_url(INDEX, COMPARISON, ctx.dir_urls)
    )


def backend_pages(ctx: SiteContext) -> dict[str, str]:
    """The index and every profile: page path -> Markdown."""
    pages = {INDEX: index_page(ctx)}
    groups = decision_groups(ctx.runs) if ctx.runs else []
    configs = configurations(ctx.runs)
    for name, facts in BACKEND_FACTS.items():
        keys = {c.key for c in configs if c.backend.strip().lower() == name}
        pages[backend_page(name)] = profile_page(ctx, facts, groups if keys else [], keys)
    return pages
