"""A registered secret whose first characters match a field name scrubs values, never the record's keys."""

from __future__ import annotations

from collector.secrets.scrub import forget_all, register, registered, scrub_tree


def test_a_secret_prefix_that_matches_a_field_name_leaves_the_key_alone() -> None:
    register(["per_chunk_SECRET_0001"])
    tree = {"tokens_per_chunk": {"p50": 1.0}, "error": "key per_chunk_SECR cut short"}
    scrubbed = scrub_tree(tree)
    assert "tokens_per_chunk" in scrubbed  # a field name survives the prefix rule
    assert scrubbed["error"] == "key <redacted> cut short"  # a cut-short secret in a value does not


def test_a_whole_secret_used_as_a_key_is_still_scrubbed() -> None:
    register(["sk-wholekey-123456"])
    assert scrub_tree({"sk-wholekey-123456": 1}) == {"<redacted>": 1}


def test_forget_all_leaves_nothing_registered() -> None:
    register(["sk-forget-me-123456"])
    forget_all()
    assert registered() == []
