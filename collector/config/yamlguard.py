"""Limits for YAML read from users (suite files) before anything walks it."""

from __future__ import annotations

import yaml

from collector.errors import InferboardError


class YamlTooBig(InferboardError, ValueError):
    """The YAML is over a size limit; the message says which in one line."""


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

    if root is not None and expanded(root) > _MAX_EXPANDED_NODES:
        raise YamlTooBig(
            f"YAML expands to over {_MAX_EXPANDED_NODES} values through aliases (*name); write the values out"
        )
