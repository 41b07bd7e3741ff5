"""Limits for YAML read from users (suite files) before anything walks it."""

from __future__ import annotations

import yaml

from collector.errors import InferboardError


class YamlRefused(InferboardError, ValueError):
    """YAML refused before it is loaded; the message says why in one line."""


class YamlTooBig(YamlRefused):
    """The YAML is over a size limit; the message says which in one line."""


class YamlDuplicateKey(YamlRefused):
    """A mapping gives one key twice (YAML loaders keep the last silently)."""


# A suite is a page of settings: these limits are far above any real one and stop a "billion laughs" file
# (a few lines of nested aliases that expand to billions of nodes once walked) before anything walks it.
_MAX_SUITE_BYTES = 1024 * 1024
_MAX_EXPANDED_NODES = 100_000


def check_size_and_aliases(text: str) -> None:
    """Raise YamlTooBig for text over the size limit or expanding past the node limit through aliases."""
    if len(text) > _MAX_SUITE_BYTES:
        raise YamlTooBig(f"the file is {len(text)} characters, over the {_MAX_SUITE_BYTES} limit")
    root = yaml.compose(text, Loader=yaml.SafeLoader)  # aliases stay shared here: composing is cheap
    sizes: dict[int, int] = {}

    def expanded(node: yaml.Node) -> int:  # nodes once aliases are expanded; a shared node is sized once
        if id(node) not in sizes:
            sizes[id(node)] = 0  # a recursive alias counts as a leaf
            children: list[yaml.Node] = []
            if isinstance(node, yaml.SequenceNode):
                children = list(node.value)
            elif isinstance(node, yaml.MappingNode):
                children = [n for pair in node.value for n in pair]
            sizes[id(node)] = min(_MAX_EXPANDED_NODES + 1, 1 + sum(expanded(c) for c in children))
        return sizes[id(node)]

    if root is None:
        return
    written = _written_nodes(root)
    if written > _MAX_EXPANDED_NODES:
        raise YamlTooBig(
            f"the file holds {written:,} values, over {_MAX_EXPANDED_NODES:,}: a suite is a page of settings"
        )
    if expanded(root) > _MAX_EXPANDED_NODES:
        raise YamlTooBig(
            f"YAML expands to over {_MAX_EXPANDED_NODES} values through aliases (*name); write the values out"
        )


def _written_nodes(root: yaml.Node) -> int:
    """Nodes as written (an alias counts once), checking every mapping for a key given twice."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            _check_unique_keys(node)
            stack.extend(n for pair in node.value for n in pair)
    return len(seen)


def _check_unique_keys(node: yaml.MappingNode) -> None:
    first: dict[str, int] = {}
    for key, _value in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.value == "<<":  # merge keys may repeat
            continue
        line = key.start_mark.line + 1
        if key.value in first:
            raise YamlDuplicateKey(
                f"line {line}: key {key.value!r} is given twice (first on line {first[key.value]}); "
                "YAML would keep only the last: remove one"
            )
        first[key.value] = line
