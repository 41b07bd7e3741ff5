"""Every option of `inferboard collect` is validated at the options model: a bad value gives one readable
line and exit 2 (usage error), never a traceback, and nothing runs (issue 15 items 4 and 6)."""

from __future__ import annotations

import math

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.cli.main import main

# An endpoint nothing listens on: if a bad value slipped through, the run would fail to connect with
# "error: server unreachable" rather than click's usage line "Error: ...", so the property would catch it.
BASE = ["collect", "--endpoint", "http://127.0.0.1:9", "--connect-timeout", "0.5", "--no-progress"]

nonpositive_int = st.integers(max_value=0).map(str)
negative_int = st.integers(max_value=-1).map(str)
bad_float = st.one_of(
    st.floats(max_value=0.0, allow_nan=False),
    st.sampled_from([math.nan, math.inf, -math.inf]),
).map(repr)
huge_int = st.integers(min_value=10_000_001, max_value=10**12).map(str)
bad_list = st.sampled_from(["", ",", "1,,2", "1,", "a,b", "0", "-1", "1, ,2"])

BAD_VALUES: dict[str, st.SearchStrategy[str]] = {
    "--concurrency": st.one_of(bad_list, st.integers(min_value=100_001, max_value=10**9).map(str)),
    "--request-rate": st.one_of(bad_list, st.sampled_from(["nan", "inf", "-inf", "0", "-3.5", "1,nan"])),
    "--requests": st.one_of(nonpositive_int, huge_int),
    "--duration": bad_float,
    "--input-tokens": st.one_of(nonpositive_int, huge_int),
    "--output-tokens": st.one_of(nonpositive_int, huge_int),
    "--warmup": negative_int,
    "--repeats": nonpositive_int,
    "--workers": nonpositive_int,
    "--max-concurrency": nonpositive_int,
    "--burstiness": bad_float,
    "--connect-timeout": bad_float,
    "--read-timeout": bad_float,
    "--request-timeout": bad_float,
    "--ready-timeout": bad_float,
    "--engine-threads": nonpositive_int,
    "--engine-parallel": nonpositive_int,
    "--engine-ctx": st.integers(max_value=15).map(str),
    "--telemetry-hz": bad_float,
    "--retries": negative_int,
    "--length-jitter": st.sampled_from(["-0.1", "1", "2", "nan"]),
    "--slo": st.sampled_from(
        ["ttft=-5", "ttft=0", "ttft=nan", "ttft=inf", "ttft=1,ttft=2", "", "ttft", "x=1", "tpot=abc"]
    ),
    "--endpoint": st.sampled_from(
        ["http://127.0.0.1:99999", "http://127.0.0.1:8000 ", " http://h:1", "ftp://h:1", "http://", "h:80"]
    ),
}


def _invoke(flag: str, value: str) -> tuple[int | None, str, BaseException | None]:
    args = list(BASE)
    if flag == "--endpoint":
        args[1:3] = [flag, value]
    else:
        args += [flag, value]
    result = CliRunner().invoke(main, args)
    return result.exit_code, result.output, result.exception


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_bad_values_of_any_option_exit_2_with_one_line_and_no_traceback(data: st.DataObject) -> None:
    flag = data.draw(st.sampled_from(sorted(BAD_VALUES)), label="flag")
    value = data.draw(BAD_VALUES[flag], label="value")
    code, output, exc = _invoke(flag, value)
    assert isinstance(exc, SystemExit), f"{flag} {value!r} raised {exc!r}"
    assert code == 2, f"{flag} {value!r}: exit {code}\n{output}"
    assert "Traceback" not in output
    error_lines = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1, output


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--concurrency", "30000000", "concurrency must be <= 100000"),
        ("--concurrency", "", "has an empty item"),
        ("--concurrency", "1,,2", "has an empty item"),
        ("--requests", "0", "requests must be >= 1"),
        ("--duration", "-1", "duration must be > 0"),
        ("--request-rate", "nan", "request rate must be a finite number"),
        ("--burstiness", "0", "burstiness must be > 0"),
        ("--slo", "ttft=1,ttft=2", "ttft is given twice"),
        ("--slo", "ttft=inf", "finite number of ms > 0"),
        ("--endpoint", "http://127.0.0.1:99999", "port must be a number from 1 to 65535"),
        ("--endpoint", "http://127.0.0.1:8000 ", "contains whitespace"),
        ("--engine-threads", "-1", "engine threads must be >= 1"),
    ],
)
def test_each_refusal_names_the_option_and_the_reason(flag: str, value: str, message: str) -> None:
    code, output, _ = _invoke(flag, value)
    assert code == 2
    assert message in output, output


def test_good_values_still_validate() -> None:
    _code, output, _ = _invoke("--concurrency", "1,2")
    assert "server unreachable" in output, output  # got past validation to the (refused) connection
    assert "Error:" not in output
