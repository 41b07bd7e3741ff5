"""Secret redaction of argv, environment and free text."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from collector.secrets.redact import (
    REDACTED,
    is_secret_name,
    known_secrets,
    redact_argv,
    redact_env,
    redact_patterns,
    redact_text,
)

KEY = "sk-test-5f0c2a9b7e1d4c3a8b6f"
HF = "hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345"


def test_secret_names() -> None:
    for name in ("--api-key", "OPENAI_API_KEY", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "--hf-token", "--token",
                 "--password", "DB_PASSWD", "AWS_SECRET_ACCESS_KEY", "apiKey", "--auth", "AUTHORIZATION",
                 "GOOGLE_APPLICATION_CREDENTIALS", "access_token"):  # fmt: skip
        assert is_secret_name(name), name
    for name in ("--max-num-batched-tokens", "TOKENIZERS_PARALLELISM", "--tokenizer", "--session-len",
                 "--kv-cache-dtype", "CUDA_VISIBLE_DEVICES", "--max-tokens", "--port"):  # fmt: skip
        assert not is_secret_name(name), name


def test_redact_argv_flag_forms() -> None:
    argv = ["vllm", "serve", "m", "--api-key", KEY, "--hf-token=" + HF, "--max-num-batched-tokens", "8192",
            "--password", "hunter22", "--port", "8000"]  # fmt: skip
    out = redact_argv(argv)
    assert out == ["vllm", "serve", "m", "--api-key", REDACTED, f"--hf-token={REDACTED}",
                   "--max-num-batched-tokens", "8192", "--password", REDACTED, "--port", "8000"]  # fmt: skip
    assert argv[4] == KEY  # input untouched


def test_redact_argv_secret_flag_followed_by_a_flag_keeps_it() -> None:
    assert redact_argv(["server", "--auth", "--port", "1"]) == ["server", "--auth", "--port", "1"]


def test_redact_argv_assignments_headers_urls() -> None:
    argv = [
        "env",
        f"HF_TOKEN={HF}",
        "CUDA_VISIBLE_DEVICES=0,1",
        "docker", "run", "-e", f"MY_SECRET={KEY}",
        "-H", f"Authorization: Bearer {KEY}",
        "--endpoint", "https://alice:pa55word@example.com/v1?api_key=zzz999&model=x",
    ]  # fmt: skip
    out = redact_argv(argv)
    joined = " ".join(out)
    for secret in (HF, KEY, "pa55word", "alice", "zzz999"):
        assert secret not in joined
    assert "CUDA_VISIBLE_DEVICES=0,1" in out
    assert f"HF_TOKEN={REDACTED}" in out and f"MY_SECRET={REDACTED}" in out
    assert "model=x" in joined


def test_redact_argv_catches_key_shapes_anywhere() -> None:
    assert redact_argv(["serve", f"--served-model-name={KEY}", HF]) == [
        "serve",
        f"--served-model-name={REDACTED}",
        REDACTED,
    ]


def test_redact_env_keeps_only_relevant_variables() -> None:
    env = {
        "CUDA_VISIBLE_DEVICES": "0",
        "VLLM_ATTENTION_BACKEND": "FLASHINFER",
        "HF_TOKEN": HF,
        "HF_HOME": "/data/hf",
        "OPENAI_API_KEY": KEY,
        "PATH": "/usr/bin",
        "HOME": "/root",
        "NCCL_DEBUG": "INFO",
        "VLLM_API_KEY": KEY,
        "HF_ENDPOINT": "https://user:secretpw@mirror.example/",
        "TORCH_CUDA_ARCH_LIST": "9.0",
    }
    out = redact_env(env)
    assert out == {
        "CUDA_VISIBLE_DEVICES": "0",
        "HF_ENDPOINT": f"https://{REDACTED}@mirror.example/",
        "HF_HOME": "/data/hf",
        "HF_TOKEN": REDACTED,
        "NCCL_DEBUG": "INFO",
        "TORCH_CUDA_ARCH_LIST": "9.0",
        "VLLM_API_KEY": REDACTED,
        "VLLM_ATTENTION_BACKEND": "FLASHINFER",
    }
    assert list(out) == sorted(out)
    assert redact_env(env, keep=("OPENAI_",)) == {"OPENAI_API_KEY": REDACTED}


def test_known_secrets_and_redact_text() -> None:
    env = {"HF_TOKEN": HF, "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1", "OPENAI_API_KEY": KEY, "PATH": "/bin"}
    argv = ["srv", "--password", "correct-horse", "--api-key=other-secret-value", "--url", "http://u:pw12@h/"]
    secrets = known_secrets(env, argv, extra=["collector-flag-key", None])
    assert set(secrets) == {HF, KEY, "correct-horse", "other-secret-value", "pw12", "collector-flag-key"}
    assert "1" not in secrets  # too short to scrub from free text
    assert [len(s) for s in secrets] == sorted((len(s) for s in secrets), reverse=True)
    log = f"INFO args: api_key='other-secret-value' token={HF} pw=correct-horse 1 2 3 key {KEY}"
    scrubbed = redact_text(log, secrets)
    for secret in secrets:
        assert secret not in scrubbed
    assert "1 2 3" in scrubbed


def test_redact_text_patterns_without_known_values() -> None:
    text = "GET https://bob:xyz@host/a?token=abc123&x=1 Authorization: Bearer abcdefghij123"
    out = redact_text(text)
    assert "xyz" not in out and "abc123" not in out and "abcdefghij123" not in out and "x=1" in out


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="<>"), min_size=8))
@pytest.mark.slow
def test_any_flag_value_of_a_secret_flag_never_survives(secret: str) -> None:
    assume(not secret.startswith("--") and secret.strip() == secret and secret not in REDACTED)
    out = redact_argv(["server", "--api-key", secret, f"--token={secret}"])
    assert secret not in out
    assert redact_text(f"log line with {secret} inside", [secret]).count(secret) == 0


def test_redact_patterns_is_idempotent() -> None:
    text = f"Bearer {KEY} https://a:b@h/?key=v"
    once = redact_patterns(text)
    assert redact_patterns(once) == once


def test_shell_working_directory_variables_are_not_secrets() -> None:
    from collector.secrets.redact import is_secret_name, known_secrets

    assert not is_secret_name("PWD") and not is_secret_name("OLDPWD")
    assert is_secret_name("DB_PWD")
    assert "/home/me/project" not in known_secrets({"PWD": "/home/me/project"}, [], [])
