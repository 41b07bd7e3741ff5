"""Secret redaction for everything the collector records: launch argv, environment, log lines, errors.

Two complementary defences:
- by *name*: a flag, environment variable, `KEY=VALUE` pair or URL query parameter whose name looks like a
  secret (KEY, TOKEN, SECRET, PASSWORD, AUTH, CREDENTIAL, ...) has its value replaced by `<redacted>`;
- by *value*: `known_secrets()` collects the secret values themselves so `redact_text()` can scrub them from
  any free text (a server's log line that echoes its arguments, an exception message).
Patterns that are secrets whatever they are called (bearer tokens, URL userinfo, `sk-...`/`hf_...` keys) are
scrubbed everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

REDACTED = "<redacted>"

# A name is secret-looking when one of its words (split on - _ . and case changes) ends with one of these.
# Word-based on purpose: `--max-num-batched-tokens` and `TOKENIZERS_PARALLELISM` are not secrets.
_SECRET_WORD = re.compile(
    r"(key|keys|token|secret|secrets|password|passwords|passwd|passphrase|passcode|pwd|auth|"
    r"authorization|credential|credentials|creds|signature|cookie|jwt)$",
    re.IGNORECASE,
)
# Short words that are secret only as the last word of a name (`--admin-pass`, `MYAPP_PASS`, `--hf-tok`):
# anywhere else they are too common (`--pass-through`, `--tok-per-chunk`).
_SECRET_LAST_WORD = frozenset({"pass", "pw", "tok", "pin", "otp"})
# `code` is a secret in `--access-code` but not in `--trust-remote-code` or `--exit-code`: it counts only
# after a word that makes it one.
_CODE_QUALIFIERS = frozenset(
    {
        "access",
        "auth",
        "pass",
        "pin",
        "otp",
        "secret",
        "security",
        "invite",
        "verification",
        "activation",
        "login",
        "api",
        "admin",
        "recovery",
        "unlock",
    }
)
_NAME_SPLIT = re.compile(r"[-_.\s]+")
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_.-]*)=(.*)$", re.DOTALL)

_BEARER = re.compile(r"(?i)\b(bearer)(\s+)([A-Za-z0-9._~+/=-]{8,})")
_AUTH_HEADER = re.compile(
    r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?(?:bearer\s+|basic\s+|token\s+)?)([^\s\"',}]+)"
)
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/\s@:]*(?::[^/\s@]*)?)@")
_QUERY_PARAM = re.compile(r"([?&;])([A-Za-z0-9_.-]+)=([^&#\s\"']*)")
# Well-known key shapes, redacted even when nothing names them: OpenAI / Anthropic style keys and Hugging
# Face tokens.
_KEY_SHAPES = re.compile(r"\b(sk-[A-Za-z0-9_-]{16,}|hf_[A-Za-z0-9]{20,})\b")

# Environment variables recorded for a launched server: the ones that change how it runs.
DEFAULT_ENV_PREFIXES: tuple[str, ...] = (
    "CUDA_",
    "NCCL_",
    "VLLM_",
    "SGLANG_",
    "HF_",
    "OMP_",
    "LLAMA_",
    "TRTLLM_",
    "LMDEPLOY_",
    "OLLAMA_",
    "PYTORCH_",
    "TORCH_",
)

# Values too short or too common to scrub from free text: a secret-named variable set to "1" must not
# turn every "1" in a log into <redacted>.
_MIN_SCRUB_LENGTH = 4
_NOT_SECRET_VALUES = frozenset({"true", "false", "yes", "no", "none", "null", "auto", "default"})


# Shell variables whose names contain a secret-like word but never hold a secret (PWD is the working
# directory, not a password): scrubbing their values would redact every path under the current folder.
_NEVER_SECRET = frozenset({"PWD", "OLDPWD"})


def is_secret_name(name: str) -> bool:
    """True when a flag, variable or parameter name looks like it holds a secret."""
    if name in _NEVER_SECRET:
        return False
    bare = name.lstrip("-")
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", bare)  # camelCase -> camel_Case
    words = [word.lower() for word in _NAME_SPLIT.split(spaced) if word]
    if any(_SECRET_WORD.search(word) for word in words):
        return True
    if words and words[-1] in _SECRET_LAST_WORD:
        return True
    return len(words) >= 2 and words[-1] == "code" and words[-2] in _CODE_QUALIFIERS


def redact_patterns(text: str) -> str:
    """Scrub secrets recognisable by their shape: bearer tokens, URL userinfo, secret query params, keys."""
    text = _URL_USERINFO.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)
    text = _QUERY_PARAM.sub(
        lambda m: f"{m.group(1)}{m.group(2)}={REDACTED}" if is_secret_name(m.group(2)) else m.group(0), text
    )
    text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    return _KEY_SHAPES.sub(REDACTED, text)


def _looks_like_flag(arg: str) -> bool:
    return arg.startswith("--") or (len(arg) == 2 and arg[0] == "-" and arg[1].isalpha())


def redact_argv(argv: Sequence[str]) -> list[str]:
    """A copy of a command line with every secret value replaced by `<redacted>`.

    Handles `--api-key VALUE`, `--api-key=VALUE`, `HF_TOKEN=VALUE` (env prefixes, `docker -e`), bearer
    tokens inside header arguments, credentials in URLs and secret query parameters.
    """
    out: list[str] = []
    redact_next = False
    for arg in argv:
        if redact_next and not _looks_like_flag(arg):
            out.append(REDACTED)
            redact_next = False
            continue
        redact_next = False
        if arg.startswith("-") and len(arg) > 1:
            name, eq, value = arg.partition("=")
            if is_secret_name(name):
                if eq:
                    out.append(f"{name}={REDACTED}")
                else:
                    out.append(arg)
                    redact_next = True
                continue
            out.append(f"{name}={redact_patterns(value)}" if eq else redact_patterns(arg))
            continue
        assignment = _ASSIGNMENT.match(arg)
        if assignment and is_secret_name(assignment.group(1)):
            out.append(f"{assignment.group(1)}={REDACTED}")
            continue
        out.append(redact_patterns(arg))
    return out


def redact_env(env: Mapping[str, str], keep: Iterable[str] = DEFAULT_ENV_PREFIXES) -> dict[str, str]:
    """The variables of `env` that matter to a server (names starting with a `keep` prefix), sorted.

    Secret-looking names keep their name (so a reader knows the variable was set) but not their value.
    """
    prefixes = tuple(keep)
    kept: dict[str, str] = {}
    for name in sorted(env):
        if not name.startswith(prefixes):
            continue
        kept[name] = REDACTED if is_secret_name(name) else redact_patterns(env[name])
    return kept


def _worth_scrubbing(value: str) -> bool:
    value = value.strip()
    return len(value) >= _MIN_SCRUB_LENGTH and value.lower() not in _NOT_SECRET_VALUES


def known_secrets(
    env: Mapping[str, str] | None = None,
    argv: Sequence[str] | None = None,
    extra: Iterable[str | None] = (),
) -> list[str]:
    """Secret values to scrub from free text: secret-named variables of `env`, secret flag values and
    `KEY=VALUE` pairs of `argv`, URL passwords, and any `extra` values (e.g. the collector's --api-key).

    Longest first, so a secret that contains another is replaced whole.
    """
    explicit = {value for value in extra if value}
    found: set[str] = set(explicit)
    for name, value in (env or {}).items():
        if is_secret_name(name) and _worth_scrubbing(value):
            found.add(value)
        for match in _URL_USERINFO.finditer(value):  # HF_ENDPOINT=https://user:password@mirror
            found.add(match.group(2).partition(":")[2])
    args = list(argv or [])
    for i, arg in enumerate(args):
        if arg.startswith("-") and len(arg) > 1:
            name, eq, value = arg.partition("=")
            if is_secret_name(name):
                if eq:
                    found.add(value)
                elif i + 1 < len(args) and not _looks_like_flag(args[i + 1]):
                    found.add(args[i + 1])
        else:
            assignment = _ASSIGNMENT.match(arg)
            if assignment and is_secret_name(assignment.group(1)):
                found.add(assignment.group(2))
        for match in _URL_USERINFO.finditer(arg):
            _user, _colon, password = match.group(2).partition(":")
            found.add(password)
    return sorted((s for s in found if s and (s in explicit or _worth_scrubbing(s))), key=len, reverse=True)


# A secret cut short (an error that quotes the first 80 bytes of a line, a message trimmed to 200 characters)
# is still mostly the secret: a run of at least this many of its first characters is redacted too.
PREFIX_SCRUB_LENGTH = 6


def redact_text(text: str, secrets: Iterable[str] = (), *, prefixes: bool = True) -> str:
    """`text` with every known secret value, every cut-short start of one (`PREFIX_SCRUB_LENGTH` characters
    or more, for secrets longer than that; `prefixes=False` leaves those) and every secret-shaped string
    replaced by `<redacted>`."""
    ordered = sorted({s for s in secrets if s}, key=len, reverse=True)
    for secret in ordered:
        text = text.replace(secret, REDACTED)
    if prefixes:
        for secret in ordered:
            if len(secret) > PREFIX_SCRUB_LENGTH:
                text = _redact_prefixes(text, secret)
    return redact_patterns(text)


def _redact_prefixes(text: str, secret: str) -> str:
    """Every run of `secret`'s first characters (at least PREFIX_SCRUB_LENGTH of them) in `text`."""
    head = secret[:PREFIX_SCRUB_LENGTH]
    start = text.find(head)
    while start >= 0:
        end = start + PREFIX_SCRUB_LENGTH
        while end < len(text) and end - start < len(secret) and text[end] == secret[end - start]:
            end += 1
        text = text[:start] + REDACTED + text[end:]
        start = text.find(head, start + len(REDACTED))
    return text
