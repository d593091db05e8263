"""Every command path of the command line's parser."""

from __future__ import annotations

import argparse


def all_command_paths(parser: argparse.ArgumentParser, prefix=()):
    """Every leaf subcommand path, e.g. ('data', 'info')."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from all_command_paths(sub, (*prefix, name))
            return
    yield prefix
