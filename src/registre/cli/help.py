"""How the commands present themselves: the words of ``--help`` and of docs/cli-reference.md.

Typer names an option's value after its Python type (``--url <str>``, ``--id <list[str]>``,
an argument as ``{path}``), which tells a user nothing. Once every command is registered,
:func:`polish` walks the command tree and gives each value a name a user would write
(``--url URL``, ``--id KIND=VALUE``, ``REGISTER``), lists the commands in the order they are
learned, and keeps each command's whole first sentence as its summary ("Export the Art. 30
record...", not "Export the Art."). It works on the tree Typer built, through click's public
attributes, so a command module declares its options as usual.
"""

from __future__ import annotations

import re
from typing import Any

VALUE_NAMES = {
    # arguments, by parameter name
    "path": "REGISTER",
    "register_path": "REGISTER",
    "old": "OLD",
    "new": "NEW",
    "example": "EXAMPLE_DIR",
    "request_id": "ID",
    "hold_id": "ID",
    "kind": "KIND",
    # options, by their long name
    "--url": "URL",
    "--state-url": "URL",
    "--register": "REGISTER",
    "--at": "DATE",
    "--received": "DATE",
    "--until": "DATE",
    "--out": "FOLDER",
    "--output": "PATH",
    "--lang": "fr|en",
    "--email": "EMAIL",
    "--phone": "PHONE",
    "--id": "KIND=VALUE",
    "--identity": "KIND=VALUE",
    "--set": "FIELD=VALUE",
    "--activity": "ACTIVITY",
    "--method": "TEXT",
    "--doubt": "TEXT",
    "--reason": "TEXT",
    "--reference": "TEXT",
    "--export-retention": "PERIOD",
    "--tenant": "KEY",
    "--key": "KEY",
    "--store": "STORE",
    "--table": "TABLE",
    "--since": "SEQ",
    "--action": "PREFIX",
    "--actor": "NAME",
    "--subjects": "N",
    "--seed": "N",
    "--profile": "NAME",
    "--batch-size": "ROWS",
    "--expect-head": "HASH",
}
"""The name of each value in help texts; an option missing here is named after itself."""

ORDER = [
    "check",
    "schema",
    "lint",
    "policy",
    "ropa",
    "diff",
    "demo-data",
    "plan",
    "sweep",
    "audit",
    "hold",
    "request",
]
"""Top-level commands in the order a newcomer meets them; others follow in their own order."""

_TYPE_NAME = re.compile(r"^<(?P<inner>[^>]*)>(?P<more>\.\.\.)?$")


def polish(command: Any) -> Any:
    """Give ``command`` and every command under it the help texts described above."""
    commands = getattr(command, "commands", None)
    if commands:
        first = [name for name in ORDER if name in commands]
        rest = [name for name in commands if name not in first]
        reordered = {name: commands[name] for name in first + rest}
        commands.clear()
        commands.update(reordered)
    _summary(command)
    for param in command.params:
        _name_value(command, param)
        _plain_argument(param)
        _quick_flag(param)
    _quick_help_flag(command)
    for sub in (commands or {}).values():
        polish(sub)
    return command


def _summary(command: Any) -> None:
    """The first sentence of the docstring, whole, as the summary in the list of commands."""
    if command.short_help or not command.help:
        return
    paragraph = command.help.strip().split("\n\n")[0]
    # a full stop before a capital or at the end: "Art. 30" does not end a sentence
    sentence = re.split(r"(?<=\.)\s+(?=[A-Z])", " ".join(paragraph.split()))[0]
    command.short_help = sentence


def _name_value(command: Any, param: Any) -> None:
    if param.metavar is not None or getattr(param, "is_flag", False):
        return
    long_names = [o for o in param.opts if o.startswith("--")]
    key = long_names[0] if long_names else param.name
    name = VALUE_NAMES.get(key)
    if name is None:
        shown = _shown_type(command, param)
        if shown and "|" in shown and "[" not in shown:
            name = shown  # the choices, such as fr|en
        else:
            name = (key.lstrip("-") if long_names else key).replace("-", "_").upper()
    param.metavar = name


def _plain_argument(param: Any) -> None:
    """An argument as click writes it: ``REGISTER``, ``[ID]``, not ``{REGISTER}`` and then
    ``REGISTER <path>`` (Typer 0.2x)."""
    if getattr(param, "param_type_name", "") != "argument" or not hasattr(
        param, "_usage_display_name"
    ):
        return
    label = param.metavar + ("..." if param.nargs != 1 else "")
    usage = label if param.required else f"[{label}]"
    param._usage_display_name = lambda: usage
    param.display_type_rich = lambda ctx: None


def _shown_type(command: Any, param: Any) -> str | None:
    try:
        ctx = command.context_class(command, info_name=command.name)
        shown = param.make_metavar(ctx)
    except Exception:  # a Typer or click release whose metavar needs more context
        return None
    match = _TYPE_NAME.match(str(shown))
    return match.group("inner") if match else None


class _Flag:
    """A boolean flag left unset: Typer builds a Pydantic adapter to coerce its None, and
    importing Pydantic for that is a third of what ``registre --help`` takes. An unset flag
    stays None and a set one is already a bool; anything else goes to Typer's own coercion."""

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        if value is None or isinstance(value, bool):
            return value
        param._runtime_param = None
        return param.get_runtime_param().coerce(value, param=param, ctx=ctx)


def _quick_help_flag(command: Any) -> None:
    """The same for ``--help``, which click makes for each context, outside ``params``."""
    make = command.get_help_option

    def get_help_option(ctx: Any) -> Any:
        option = make(ctx)
        if option is not None:
            _quick_flag(option)
        return option

    command.get_help_option = get_help_option


def _quick_flag(param: Any) -> None:
    descriptor = getattr(param, "type_descriptor", None)
    if getattr(descriptor, "annotation", None) is bool and (
        getattr(param, "_runtime_param", False) is None
    ):
        param._runtime_param = _Flag()
