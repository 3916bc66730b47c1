"""`nexo` command line: serve, migrate, demo, openapi, version."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Annotated, NoReturn

import typer
import uvicorn
from rich.console import Console

from nexo import __version__
from nexo.core.db.migrations import pending_migrations, upgrade_to_head
from nexo.core.db.session import Database, masked_url
from nexo.core.settings import ConfigurationError, Settings, get_settings
from nexo.surfaces import SURFACES, SURFACES_BY_NAME

app = typer.Typer(help="Nexo: five business-operations APIs in one service.", no_args_is_help=True)
console = Console(stderr=True)


def _settings() -> Settings:
    try:
        settings = get_settings()
    except ConfigurationError as exc:
        _fail(str(exc))
    if settings.is_sqlite:
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    return settings


def _fail(message: str) -> NoReturn:
    console.print(f"[red]nexo:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


async def _database_state(settings: Settings) -> tuple[set[str], set[str]] | str:
    """Migration state, or a one-line reason why the database cannot be reached."""
    database = Database(settings.database_url, pool_size=1)
    try:
        return await pending_migrations(database.read_engine)
    except Exception as exc:  # the message is all an operator needs; a traceback would bury it
        return f"cannot reach the database at {masked_url(settings.database_url)}: {_reason(exc)}"
    finally:
        await database.dispose()


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def _require_migrated(settings: Settings) -> None:
    state = asyncio.run(_database_state(settings))
    if isinstance(state, str):
        _fail(state)
    current, heads = state
    if current != heads:
        _fail(
            f"the database at {masked_url(settings.database_url)} is not migrated "
            f"(at {', '.join(sorted(current)) or 'nothing'}, needs {', '.join(sorted(heads))}); "
            "run `nexo migrate` (or `make migrate`) first"
        )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Server processes; one per core is right.")] = 1,
    no_workers: Annotated[
        bool, typer.Option("--no-workers", help="Run no job worker in the server (use `nexo worker`).")
    ] = False,
) -> None:
    """Serve every surface over HTTP (each server process also runs a job worker by default)."""
    if no_workers:
        os.environ["NEXO_WORKERS_IN_PROCESS"] = "false"  # inherited by every server process
        get_settings.cache_clear()
    settings = _settings()
    settings.resolved_secret_key()  # generate and persist before workers race to do it
    settings.resolved_encryption_key()
    _require_migrated(settings)
    _print_banner(host, port)
    uvicorn.run(
        "nexo.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        proxy_headers=True,
        server_header=False,
    )


def _print_banner(host: str, port: int) -> None:
    base = f"http://{host}:{port}"
    console.print(f"[bold]Nexo {__version__}[/bold] on {base}", highlight=False)
    for spec in SURFACES:
        console.print(f"  {spec.name:<12} {base}{spec.docs_path}", highlight=False)


@app.command()
def worker(
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="Jobs run at once (default NEXO_WORKER_CONCURRENCY).")
    ] = None,
) -> None:
    """Run background jobs — webhook deliveries, periodic jobs — until Ctrl-C or SIGTERM.

    Start as many as you like, on as many machines: each job is claimed by exactly one of them."""
    from nexo.workers import run_worker

    settings = _settings()
    settings.resolved_encryption_key()
    _require_migrated(settings)
    console.print(f"worker on {masked_url(settings.database_url)}; Ctrl-C stops it", highlight=False)
    asyncio.run(run_worker(settings, concurrency=concurrency))


@app.command()
def migrate() -> None:
    """Apply pending database migrations."""
    settings = _settings()
    state = asyncio.run(_database_state(settings))
    if isinstance(state, str):
        _fail(state)
    upgrade_to_head(settings.database_url)
    console.print(f"database at {masked_url(settings.database_url)} is up to date", highlight=False)


@app.command()
def demo() -> None:
    """Create the demo tenant and its users (idempotent) and print how to log in."""
    from nexo.demo import load_demo

    settings = _settings()
    _require_migrated(settings)

    async def run() -> None:
        database = Database(settings.database_url, pool_size=1)
        try:
            report = await load_demo(database)
        finally:
            await database.dispose()
        state = "created" if report.created else "already present"
        console.print(f"demo tenant '{report.tenant_slug}' {state}", highlight=False)
        for label, login, secret in report.logins:
            # A header (the demo API key) is shown as it is sent; logins as "email / password".
            shown = f"{login} {secret}" if login.startswith("Authorization") else f"{login} / {secret}"
            console.print(f"  {label:<24} {shown}", highlight=False, soft_wrap=True)

    asyncio.run(run())


@app.command()
def openapi(
    surface: Annotated[str, typer.Option(help="media, crm, collections, tasks or platform.")],
) -> None:
    """Print a surface's OpenAPI document."""
    from nexo.app import create_app

    if surface not in SURFACES_BY_NAME:
        _fail(f"unknown surface {surface!r}; choose one of {', '.join(SURFACES_BY_NAME)}")
    application = create_app(_settings())
    typer.echo(json.dumps(application.surfaces[surface].openapi(), indent=2, ensure_ascii=False))


@app.command()
def version() -> None:
    """Print Nexo's version."""
    typer.echo(__version__)


connector_app = typer.Typer(help="Tools for on-premise collections connectors.", no_args_is_help=True)
app.add_typer(connector_app, name="connector")


@connector_app.command("simulate")
def connector_simulate(
    base_url: Annotated[
        str, typer.Option(help="Collections API base, e.g. http://127.0.0.1:8000/collections/v1.")
    ],
    link_code: Annotated[str, typer.Option(help="A link code from POST /connectors/link-code.")],
    clients: Annotated[int, typer.Option(min=0, help="Clients per snapshot.")] = 20,
    invoices: Annotated[int, typer.Option(min=0, help="Invoices per client.")] = 3,
    rounds: Annotated[int, typer.Option(min=1, help="Heartbeat + snapshot rounds.")] = 1,
    interval: Annotated[float, typer.Option(min=0, help="Seconds between rounds.")] = 0.0,
    empresa: Annotated[str, typer.Option(help="The empresa id the connector registers and syncs.")] = "01",
    seed: Annotated[int, typer.Option(help="Seed of the generated data.")] = 1,
) -> None:
    """Register a simulated connector, heartbeat and push generated snapshots; print a JSON report."""
    import dataclasses

    import httpx

    from nexo.receivables.simulator import SimulationOptions, simulate

    options = SimulationOptions(
        base_url=base_url,
        link_code=link_code,
        clients=clients,
        invoices_per_client=invoices,
        rounds=rounds,
        interval_seconds=interval,
        empresa_id=empresa,
        seed=seed,
    )
    try:
        report = asyncio.run(simulate(options))
    except httpx.HTTPStatusError as exc:
        answer = f"{exc.response.status_code}: {exc.response.text[:300]}"
        _fail(f"{exc.request.method} {exc.request.url} answered {answer}")
    except httpx.HTTPError as exc:
        _fail(f"cannot reach {base_url}: {exc}")
    typer.echo(json.dumps(dataclasses.asdict(report), indent=2))
