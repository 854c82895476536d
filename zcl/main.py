"""Entry point of the `zcl` command line."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="zcl",
    help="Zero-carbon ledger: signed meter readings anchored on an EVM chain, re-derivable by anyone.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
