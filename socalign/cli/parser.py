"""The command line's parser plumbing: commands and groups, the flags every command takes.

Every command is added with :func:`add_command` (its handler returns one dict; ``--json``,
``--debug``, ``-v`` and ``--progress`` come with it) and parsed by :class:`Parser`, whose usage
errors are one line. ``-v`` shows the library's log on stderr (:func:`logging_to_stderr`);
``--progress`` and ``--json`` decide the bars (:func:`progress_enabled`).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

from socalign.cli.errors import DEBUG_ENV, one_line, report_error


class HelpFormatter(argparse.HelpFormatter):
    """Help that shows each option's default: ``(default: X)`` unless the help already says.

    Left out where a default says nothing: None (the help tells what happens instead), False
    (a flag that is off) and suppressed defaults. An option whose default depends on other
    settings (None until the command resolves it) shows the text :func:`describe_default`
    attached to it, and an argument the end of help that :func:`describe_help` attached, both
    computed only when the help is shown.
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        help = action.help
        more = getattr(action, HELP_TEXT, None)
        if help and more is not None:
            help = f"{help}{more().replace('%', '%%')}"
        describe = getattr(action, DEFAULT_TEXT, None)
        if help and describe is not None and "default" not in help.lower():
            return f"{help} (default: {describe().replace('%', '%%')})"
        if not help or "%(default)" in help or "default" in help.lower():
            return help
        default = action.default
        if default is None or default is False or default is argparse.SUPPRESS:
            return help
        if action.option_strings or action.nargs in (argparse.OPTIONAL, argparse.ZERO_OR_MORE):
            return f"{help} (default: %(default)s)"
        return help


#: The attribute of an :class:`argparse.Action` holding its default's description (a callable).
DEFAULT_TEXT = "socalign_default_text"
#: The attribute of an :class:`argparse.Action` holding the rest of its help (a callable).
HELP_TEXT = "socalign_help_text"


def describe_help(action: argparse.Action, describe: Callable[[], str]) -> argparse.Action:
    """Attach to an argument the end of its help, computed only when the help is shown.

    For help that reads a registry (DATASET: the registered names), which parsing should not
    import.

    Parameters
    ----------
    action : argparse.Action
        The argument, as ``add_argument`` returned it.
    describe : callable
        Returns the text that :class:`HelpFormatter` appends to the help as it is.

    Returns
    -------
    argparse.Action
        ``action``.
    """
    setattr(action, HELP_TEXT, describe)
    return action


def describe_default(action: argparse.Action, describe: Callable[[], str]) -> argparse.Action:
    """Attach to an option the description of a default that other settings decide.

    For an option whose value is None until the command resolves it (``finetune --epochs``:
    the ``--profile``'s), :class:`HelpFormatter` appends ``(default: <describe()>)`` to its
    help; ``describe`` runs only when the help is shown, so it may import what parsing should
    not.

    Parameters
    ----------
    action : argparse.Action
        The option, as ``add_argument`` returned it.
    describe : callable
        Returns the default's description, e.g. ``"the --profile's: demo 16, paper 50"``.

    Returns
    -------
    argparse.Action
        ``action``.
    """
    setattr(action, DEFAULT_TEXT, describe)
    return action


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (and JSON under ``--json``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:  # type: ignore[override]
        """Report a usage error in one line and exit with status 2."""
        match = re.match(r"argument ([^:]+):", message) or re.search(r"required: ([^,\s]+)", message)
        where = match.group(1).split("/")[0] if match else None
        report_error(f"{self.prog}: {one_line(message)} (see `{self.prog} --help`)", where)
        sys.exit(2)


Handler = Callable[[argparse.Namespace], "dict[str, Any] | None"]
#: Renders a handler's result (JSON-able, NaN as None) as text for people.
Human = Callable[[dict[str, Any]], str]


def add_command(
    sub: argparse._SubParsersAction,
    name: str,
    handler: Handler,
    help: str,
    json_flag: bool = True,
    human: Human | None = None,
) -> argparse.ArgumentParser:
    """Add a subcommand whose handler returns a dict.

    Parameters
    ----------
    sub
        The subparsers to add to.
    name, help
        The command's name and one-line description.
    handler
        Returns the result dict (or None: nothing to print).
    json_flag
        Add ``--json`` (print the result as one JSON object).
    human
        Renders the result for people (default:
        :func:`socalign.cli.output.format_mapping`).

    Returns
    -------
    argparse.ArgumentParser
        The command's parser, for its own arguments.
    """
    parser = sub.add_parser(name, help=help, description=help)
    if json_flag:
        parser.add_argument("--json", action="store_true",
                            help="print one JSON object (for scripts) instead of tables")
    add_debug_flag(parser)
    add_verbose_flag(parser)
    add_progress_flag(parser)
    parser.set_defaults(_handler=handler, _human=human)
    return parser


def add_group(sub: argparse._SubParsersAction, name: str, help: str) -> argparse._SubParsersAction:
    """Add a command group such as ``data`` whose subcommands follow.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subparsers to add the group to.
    name : str
        The group's name (its chosen subcommand is stored as ``<name>_command``).
    help : str
        The group's one-line description.

    Returns
    -------
    argparse._SubParsersAction
        The group's subparsers (a subcommand is required), to add its commands to.
    """
    parser = sub.add_parser(name, help=help, description=help)
    group = parser.add_subparsers(dest=f"{name}_command", metavar="COMMAND")
    group.required = True
    return group


def add_progress_flag(parser: argparse.ArgumentParser) -> None:
    """``--progress``: draw progress bars on stderr even when it is not a terminal."""
    parser.add_argument("--progress", action="store_true", default=False,
                        help="draw progress bars on stderr even when it is not a terminal (they "
                        "are drawn only on a terminal, and never under --json, otherwise)")


def progress_enabled(args: argparse.Namespace) -> bool:
    """True when progress may be drawn: under ``--progress``, else when not ``--json`` and
    stderr is a terminal (:func:`socalign.progress.stderr_is_terminal`).

    The command line's one decision: :func:`socalign.cli.run_command` holds every bar to it
    (:func:`socalign.progress.bars`), socalign's own and those of transformers and
    huggingface_hub.

    Parameters
    ----------
    args : argparse.Namespace
        The command's arguments (``progress`` and ``json`` when it has them).

    Returns
    -------
    bool
        Whether bars are drawn.
    """
    from socalign.progress import stderr_is_terminal

    if getattr(args, "progress", False):
        return True
    return not getattr(args, "json", False) and stderr_is_terminal()


def add_debug_flag(parser: argparse.ArgumentParser) -> None:
    """``--debug``: show the traceback of an error (also ``SOCALIGN_DEBUG=1``)."""
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help=f"show tracebacks of errors (or set {DEBUG_ENV}=1)")


def add_verbose_flag(parser: argparse.ArgumentParser) -> None:
    """``-v/--verbose``: log cache hits, downloads and decoding on stderr (``-vv``: debug)."""
    parser.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                        help="log cache hits and misses, downloads and the video decoder on "
                        "stderr (-vv: also each file)")


def verbosity(args: argparse.Namespace) -> int:
    """How many ``-v`` were given (0: none)."""
    return int(getattr(args, "verbose", 0) or 0)


@contextlib.contextmanager
def logging_to_stderr(level: int) -> Iterator[None]:
    """Show the ``socalign`` logger's records on stderr while the block runs.

    Parameters
    ----------
    level : int
        0: nothing is added (library records stay silent); 1: INFO; 2 or more: DEBUG, with
        the logger's name. Stdout is never written, so ``--json`` output stays one object.
    """
    if level <= 0:
        yield
        return
    logger = logging.getLogger("socalign")
    handler = logging.StreamHandler(sys.stderr)
    fmt = "socalign: %(message)s" if level == 1 else "socalign: [%(name)s] %(message)s"
    handler.setFormatter(logging.Formatter(fmt))
    saved = logger.level
    logger.setLevel(logging.INFO if level == 1 else logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved)
        handler.flush()
