"""Every option of every command has help, and the help shows its default (issue 28).

The parser is walked, not listed by hand, so a new command or option is checked too: an option
without help fails, and so does one whose default the reader cannot see (a required option, a
flag and a member of a required either-or group need none).
"""

from __future__ import annotations

import argparse

import pytest

from socalign.cli import build_parser, main
from socalign.cli.parser import HelpFormatter, Parser, describe_default
from socalign.data.registry import locatable_names


def command_parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """``(path, parser)`` of the root and every (sub)command under it."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from command_parsers(sub, (*path, name))


def _required_groups(parser: argparse.ArgumentParser) -> set[int]:
    return {id(a) for group in parser._mutually_exclusive_groups if group.required
            for a in group._group_actions}


def shown_help(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    """The help text of ``action`` as ``--help`` prints it (defaults expanded)."""
    formatter = parser.formatter_class(prog=parser.prog)
    return " ".join(formatter._expand_help(action).split()) if action.help else ""


def option_problems(parser: argparse.ArgumentParser) -> list[str]:
    """Every option or argument without help, and every optional value whose help hides its
    default, as ``command option: problem``."""
    problems = []
    for path, sub in command_parsers(parser):
        either_or = _required_groups(sub)
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                continue
            name = f"{' '.join(('socalign', *path))} {'/'.join(action.option_strings) or action.dest}"
            if not action.help or action.help == argparse.SUPPRESS:
                problems.append(f"{name}: no help")
                continue
            if (not action.option_strings or action.nargs == 0 or action.required
                    or id(action) in either_or):
                continue  # a positional, a flag, or a value that must be given
            text = shown_help(sub, action)
            if "default" not in text.lower():
                problems.append(f"{name}: the help does not say its default ({action.default!r})")
            elif action.default is not None and str(action.default) not in text:
                problems.append(f"{name}: the help names a default other than "
                                f"{action.default!r}: {text!r}")
    return problems


def test_every_option_of_every_command_has_help_with_its_default() -> None:
    problems = option_problems(build_parser())
    assert not problems, "options without help or a visible default:\n" + "\n".join(problems)


def test_the_walk_finds_every_kind_of_problem() -> None:
    parser = Parser(prog="x", formatter_class=HelpFormatter)
    sub = parser.add_subparsers(dest="command")
    cmd = sub.add_parser("cmd", formatter_class=HelpFormatter)
    cmd.add_argument("--quiet-default", type=int, default=3, help="shown by the formatter")
    cmd.add_argument("--no-help", type=int, default=3)
    cmd.add_argument("--hidden-none", default=None, help="what happens without it is unsaid")
    cmd.add_argument("--said-none", default=None, help="a value (default: the profile's)")
    cmd.add_argument("--wrong", type=int, default=5, help="a count (default 7)")
    cmd.add_argument("--needed", required=True, help="must be given")
    cmd.add_argument("--flag", action="store_true", help="a switch")
    describe_default(cmd.add_argument("--lazy", default=None, help="decided later"),
                     lambda: "the --profile's")
    assert option_problems(parser) == [
        "socalign cmd --no-help: no help",
        "socalign cmd --hidden-none: the help does not say its default (None)",
        "socalign cmd --wrong: the help names a default other than 5: 'a count (default 7)'",
    ]
    lazy = next(a for a in cmd._actions if a.dest == "lazy")
    assert shown_help(cmd, lazy) == "decided later (default: the --profile's)"


def test_defaults_decided_by_the_profile_are_shown_from_it(capsys) -> None:
    from socalign.profiles import PROFILES

    with pytest.raises(SystemExit):
        main(["finetune", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    demo, paper = PROFILES["demo"].train_config(), PROFILES["paper"].train_config()
    assert f"--epochs EPOCHS training epochs (default: the --profile's: ci 1; demo {demo.epochs}; " \
           f"paper {paper.epochs})" in text
    assert "(default: the --profile's: ci fast, demo fast, paper paper)" in text  # --trainer
    assert f"LoRA dropout (default: {demo.lora_dropout}, every --profile's)" in text
    assert "--seed SEED the run's seed, an integer >= 0 (default 0)" in text
    assert "--loss {hybrid,triplet,rsa,budget,distilled} the loss (default: hybrid)" in text


def test_dataset_help_names_every_registered_name(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["ceiling", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    names = locatable_names()
    assert "socialworld" in names
    for name in names:
        assert name in text.split("DATASET", 2)[-1], name
