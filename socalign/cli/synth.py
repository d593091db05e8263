"""``socalign data synth ...``: write a procedural benchmark (SocialWorld)."""

from __future__ import annotations

import argparse


def register(group: argparse._SubParsersAction) -> None:
    """Add ``data synth`` to the ``data`` command group."""
