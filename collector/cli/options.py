"""Click options generated from the options model (`CollectConfig`), as guidellm's click_pydantic does:
each field that carries `cli` settings becomes one `--kebab-case` flag whose help and default come from the
field, so the command line and the model cannot drift. Lists are comma-separated strings; bounds are checked
by the model (one line, exit 2), not by click."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

import click
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from collector.config.collect import cli_settings, flag_name

__all__ = ["model_options", "parse_float_list", "parse_int_list"]

F = TypeVar("F", bound=Callable[..., Any])


def _items(param: click.Parameter, value: str) -> list[str]:
    items = [v.strip() for v in value.split(",")]
    if not all(items):
        name = param.opts[0] if param.opts else param.name
        raise click.BadParameter(f"{name} {value!r} has an empty item; give e.g. 1,2,4")
    return items


def parse_int_list(ctx: click.Context, param: click.Parameter, value: str | None) -> list[int]:
    if value is None:
        return []
    try:
        return [int(v) for v in _items(param, value)]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated integers, got {value!r}") from None


def parse_float_list(ctx: click.Context, param: click.Parameter, value: str | None) -> list[float]:
    if value is None:
        return []
    try:
        return [float(v) for v in _items(param, value)]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated numbers, got {value!r}") from None


def _bare(annotation: Any) -> Any:
    """The type under Optional/Annotated."""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = args[0] if len(args) == 1 else annotation
    return annotation


def _option(name: str, info: FieldInfo, settings: dict[str, Any]) -> Callable[[F], F]:
    kind = _bare(info.annotation)
    flag = flag_name(name, info)
    kwargs: dict[str, Any] = {"help": info.description, "show_default": info.default is not None}
    if info.default is not None and not info.is_required() and info.default_factory is None:
        kwargs["default"] = info.default
    else:
        kwargs["show_default"] = False
    if envvar := settings.get("envvar"):
        kwargs.update(envvar=envvar, show_envvar=True)
    if metavar := settings.get("metavar"):
        kwargs["metavar"] = metavar
    if kind is bool:
        decls = [f"{flag}/{settings['off_flag']}" if settings.get("off_flag") else flag, name]
        return click.option(*decls, **kwargs)
    origin = typing.get_origin(kind)
    if origin is list:
        (item,) = typing.get_args(kind)
        kwargs["callback"] = parse_int_list if item is int else parse_float_list
    elif origin is Literal:
        kwargs["type"] = click.Choice([str(a) for a in typing.get_args(kind)])
    elif kind is Path:
        if settings.get("file_okay") is False:
            kwargs["type"] = click.Path(path_type=Path, file_okay=False)
        else:
            kwargs["type"] = click.Path(path_type=Path, dir_okay=False, exists=settings.get("exists", False))
    elif kind in (int, float):
        kwargs["type"] = kind
    elif kind is SecretStr or kind is str:
        kwargs["type"] = str
    else:  # pragma: no cover - a model field with `cli` settings and a type the generator cannot map
        raise TypeError(f"no click type for {name}: {kind!r}")
    return click.option(flag, name, **kwargs)


def model_options(model: type[BaseModel]) -> Callable[[F], F]:
    """Decorator adding one click option per CLI field of `model`, in field order."""
    options = [
        _option(name, info, settings)
        for name, info in model.model_fields.items()
        if (settings := cli_settings(info)) is not None
    ]

    def decorate(func: F) -> F:
        for add in reversed(options):
            func = add(func)
        return func

    return decorate
