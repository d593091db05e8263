"""``socalign`` subcommands for train."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add this topic's subcommands to the parser."""
