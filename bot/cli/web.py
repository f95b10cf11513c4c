"""``crosspost web …``: the staff web desk's accounts."""

from __future__ import annotations

import sys

import click

from bot.domain.errors import InputError


@click.group()
def web() -> None:
    """The staff web desk (served by `crosspost run` when [web] enabled)."""


@web.command("hash-password")
@click.option("--stdin", "from_stdin", is_flag=True,
              help="Read the password from the first line of standard input (for scripts).")
def hash_password_command(from_stdin: bool) -> None:
    """Print an argon2 hash of a password for a [[web.users]] password_hash.

    The password is asked for twice without echo (or read from stdin with --stdin); it is never
    stored or printed.
    """
    from bot.web.auth import hash_password

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password.strip():
        raise InputError("the password is empty")
    if len(password) < 8:
        raise InputError("the password is shorter than 8 characters")
    click.echo(hash_password(password))
