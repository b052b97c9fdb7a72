"""Server commands: ``shopscope serve`` and ``shopscope user add|list|set-role|reset-password``.

``shopscope user set-email`` gives a user the address task notifications go to.
``shopscope user demo-accounts`` creates one user per role with a printed password (what
``shopscope demo`` calls through :func:`create_demo_accounts`).
"""

from __future__ import annotations

import getpass
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from shopscope.cli.main import state
from shopscope.cli.output import Format, console, emit
from shopscope.errors import InvalidInputError

if TYPE_CHECKING:
    from shopscope.appdb import AppDB

__all__ = ["DemoAccount", "create_demo_accounts", "register"]

user_app = typer.Typer(help="Accounts of the web app and API.", no_args_is_help=True)
AppdbOpt = Annotated[
    str | None,
    typer.Option(
        "--appdb",
        envvar="SHOPSCOPE_APPDB",
        help="Application database URL (default: app.sqlite3 next to the warehouse).",
    ),
]


def _warehouse_url() -> str:
    from shopscope.settings import default_warehouse_url

    return state.warehouse or default_warehouse_url()


def _open(appdb: str | None) -> AppDB:
    from shopscope.appdb import open_appdb
    from shopscope.team import role_model

    return open_appdb(appdb, warehouse_url=_warehouse_url(), roles=role_model().role_tiers())


def _password(given: str | None, generate: bool) -> str:
    if given:
        return given
    if generate:
        return secrets.token_urlsafe(12)
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise InvalidInputError("The passwords differ; run the command again.")
    return first


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Login name (lower-case).")],
    role: Annotated[
        str, typer.Option(help="Role key, e.g. operations_director; see `user roles`.")
    ],
    password: Annotated[
        str | None, typer.Option(envvar="SHOPSCOPE_PASSWORD", help="Password (prompted if absent).")
    ] = None,
    generate: Annotated[
        bool, typer.Option("--generate", help="Generate and print a password.")
    ] = False,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    appdb: AppdbOpt = None,
) -> None:
    """Add a user with a role."""
    from shopscope.appdb import accounts, records

    secret = _password(password, generate)
    db = _open(appdb)
    try:
        with db.session() as s:
            accounts.create_user(s, username, secret, role, display_name=name)
            records.audit(s, "cli", "user.create", target=username, details={"role": role})
    finally:
        db.close()
    console.print(f"Added {username} ({role}).")
    if generate:
        typer.echo(secret)


@user_app.command("list")
def user_list(
    appdb: AppdbOpt = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """List users with their role and tier."""
    from shopscope.appdb import accounts
    from shopscope.team import role_model

    model = role_model()
    db = _open(appdb)
    try:
        with db.session() as s:
            rows = [
                {
                    "username": u.username,
                    "name": u.display_name,
                    "role": u.role_key,
                    "tier": model.roles[u.role_key].tier if u.role_key in model.roles else "",
                    "active": u.active,
                    "created_at": u.created_at,
                }
                for u in accounts.list_users(s)
            ]
    finally:
        db.close()
    emit(rows, fmt, title="Users")


@user_app.command("roles")
def user_roles(
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """List the roles a user can have."""
    from shopscope.team import role_model

    m = role_model()
    rows = [
        {
            "role": k,
            "tier": r.tier,
            "name": r.name_en,
            "名称": r.name_zh,
            "dimensions": ", ".join(r.dimensions),
        }
        for k, r in m.roles.items()
    ]
    emit(rows, fmt, title="Roles")


@user_app.command("set-role")
def user_set_role(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Argument(help="New role key.")],
    appdb: AppdbOpt = None,
) -> None:
    """Change a user's role (their sessions end)."""
    from shopscope.appdb import accounts, records

    db = _open(appdb)
    try:
        with db.session() as s:
            before = accounts.get_user(s, username).role_key
            accounts.set_role(s, username, role)
            records.audit(
                s, "cli", "user.set_role", target=username, details={"from": before, "to": role}
            )
    finally:
        db.close()
    console.print(f"{username}: {before} → {role}.")


@user_app.command("set-email")
def user_set_email(
    username: Annotated[str, typer.Argument(help="Login name.")],
    email: Annotated[str, typer.Argument(help="Address for task notifications ('' clears it).")],
    appdb: AppdbOpt = None,
) -> None:
    """Set the e-mail address that task notifications go to."""
    from shopscope.appdb import accounts, records

    address = email.strip()
    if address and (address.count("@") != 1 or address.startswith("@") or address.endswith("@")):
        raise InvalidInputError(f"{email!r} is not an e-mail address, e.g. ana@shop.example.")
    db = _open(appdb)
    try:
        with db.session() as s:
            user = accounts.get_user(s, username)
            user.email = address or None
            records.audit(s, "cli", "user.set_email", target=username)
    finally:
        db.close()
    console.print(f"{username}: e-mail {'set' if address else 'cleared'}.")


@user_app.command("reset-password")
def user_reset_password(
    username: Annotated[str, typer.Argument(help="Login name.")],
    password: Annotated[
        str | None,
        typer.Option(envvar="SHOPSCOPE_PASSWORD", help="New password (prompted if absent)."),
    ] = None,
    generate: Annotated[
        bool, typer.Option("--generate", help="Generate and print a password.")
    ] = False,
    appdb: AppdbOpt = None,
) -> None:
    """Set a new password (the user's sessions end)."""
    from shopscope.appdb import accounts, records

    secret = _password(password, generate)
    db = _open(appdb)
    try:
        with db.session() as s:
            accounts.set_password(s, username, secret)
            records.audit(s, "cli", "user.reset_password", target=username)
    finally:
        db.close()
    console.print(f"New password set for {username}.")
    if generate:
        typer.echo(secret)


@user_app.command("token")
def user_token(
    username: Annotated[str, typer.Argument(help="Owner of the token.")],
    name: Annotated[str, typer.Option(help="What the token is for.")],
    scope: Annotated[
        list[str], typer.Option("--scope", help="A permission the token may use (repeat).")
    ],
    days: Annotated[int | None, typer.Option(help="Expire after this many days.")] = None,
    appdb: AppdbOpt = None,
) -> None:
    """Issue an API token for machine clients; prints the secret once."""
    from shopscope.appdb import accounts, records
    from shopscope.team import role_model

    db = _open(appdb)
    try:
        with db.session() as s:
            user = accounts.get_user(s, username)
            issued = accounts.create_token(
                s,
                user,
                name,
                scope,
                allowed=sorted(role_model().grants(user.role_key)),
                lifetime=timedelta(days=days) if days else None,
            )
            records.audit(s, "cli", "token.create", target=name, details={"scopes": scope})
    finally:
        db.close()
    console.print(f"Token {name!r} for {username}, scopes {', '.join(issued.scopes)}:")
    typer.echo(issued.secret)


@dataclass(frozen=True)
class DemoAccount:
    """A demo login: username, password, role and tier."""

    username: str
    password: str
    role: str
    tier: str


def create_demo_accounts(
    appdb_url: str | None, warehouse_url: str, *, seed: int | None = None
) -> list[DemoAccount]:
    """One user per role (``demo-<role>``) with a fresh random password each run.

    Existing demo users get the new password, so the printed credentials are always valid.
    ``seed`` makes the passwords reproducible (tests only: a seeded password is guessable).
    """
    import random

    from shopscope.appdb import accounts, open_appdb, records
    from shopscope.errors import NotFoundError
    from shopscope.team import role_model

    model = role_model()
    rng = random.Random(seed) if seed is not None else random.SystemRandom()
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: read off a screen, 80 bits
    db = open_appdb(appdb_url, warehouse_url=warehouse_url, roles=model.role_tiers())
    out: list[DemoAccount] = []
    try:
        with db.session() as s:
            for key, role in model.roles.items():
                username = f"demo-{key.replace('_', '-')}"
                password = "-".join(
                    "".join(rng.choice(alphabet) for _ in range(4)) for _ in range(4)
                )
                try:
                    accounts.get_user(s, username)
                    accounts.set_password(s, username, password)
                    accounts.set_role(s, username, key)
                except NotFoundError:
                    accounts.create_user(s, username, password, key, display_name=role.name_en)
                records.audit(s, "demo", "user.create", target=username, details={"role": key})
                out.append(DemoAccount(username, password, key, role.tier))
    finally:
        db.close()
    return out


@user_app.command("demo-accounts")
def user_demo_accounts(
    appdb: AppdbOpt = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """Create one demo user per role and print their credentials (for a demo store only)."""
    made = create_demo_accounts(appdb, _warehouse_url())
    emit([a.__dict__ for a in made], fmt, title="Demo accounts (sign in at http://127.0.0.1:8000)")


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    appdb: AppdbOpt = None,
    proxy: Annotated[
        bool,
        typer.Option(
            "--behind-proxy", help="Trust X-Forwarded-Proto/For from the proxy (Secure cookies)."
        ),
    ] = False,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development).")] = False,
    ingest_events: Annotated[
        bool,
        typer.Option(
            "--ingest-events",
            help="Take real-time events at POST /api/v1/events (holds the warehouse open for "
            "writing; see docs/events.md).",
        ),
    ] = False,
) -> None:
    """Run the web app and REST API (uvicorn) on the warehouse."""
    import os

    import uvicorn

    from shopscope.server import ServerSettings, create_app

    settings = ServerSettings(
        warehouse=_warehouse_url(), appdb=appdb or os.environ.get("SHOPSCOPE_APPDB")
    )
    if ingest_events:
        settings = settings.model_copy(update={"ingest_events": True})
    console.print(f"shopscope on http://{host}:{port}  (warehouse {settings.warehouse})")
    if reload:
        os.environ["SHOPSCOPE_WAREHOUSE"] = settings.warehouse
        if ingest_events:
            os.environ["SHOPSCOPE_INGEST_EVENTS"] = "true"
        uvicorn.run("shopscope.server.app:create_app", factory=True, host=host, port=port,
                    reload=True, proxy_headers=proxy)  # fmt: skip
        return
    uvicorn.run(create_app(settings), host=host, port=port, proxy_headers=proxy,
                forwarded_allow_ips="*" if proxy else None, log_level="info")  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add ``serve`` and the ``user`` group to ``app``."""
    app.command()(serve)
    app.add_typer(user_app, name="user")
