"""crm §7.8–7.9: CSV import (inline and as a job) and streamed export."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from tests.crm.support import BASE, Caller, caller, new_client
from tests.support import http_client

from nexo.app import NexoApplication
from nexo.core.db.session import Database
from nexo.core.jobs.models import Job
from nexo.core.settings import Settings
from nexo.core.tenancy import allow_all_tenants
from nexo.crm.clients.import_runs import JOB_KIND, run_import_job
from nexo.crm.clients.importing import BATCH_ROWS
from nexo.crm.clients.models import Client, ClientImport, ClientImportSegment

HEADER = "phone_number,first_name,last_name,email,lead_status,tags,custom.industria\n"


@pytest.fixture
async def admin(database: Database, settings: Settings) -> Caller:
    return await caller(database, settings)


def _file(text: str | bytes, name: str = "clientes.csv") -> dict[str, tuple[str, bytes, str]]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return {"file": (name, data, "text/csv")}


async def _import(http: httpx.AsyncClient, who: Caller, text: str | bytes, **form: str) -> httpx.Response:
    return await http.post(f"{BASE}/clients/import", files=_file(text), data=form, headers=who.headers)


async def _total(http: httpx.AsyncClient, who: Caller) -> int:
    response = await http.get(f"{BASE}/clients", headers=who.headers)
    total: int = response.json()["meta"]["total"]
    return total


async def test_import_reports_row_errors_and_skips_duplicates(
    client: httpx.AsyncClient, admin: Caller
) -> None:
    await new_client(client, admin, phone_number="+573001111111")
    text = (
        HEADER
        + "3001234567,Carlos,Rodríguez,carlos@email.com,contacted,vip;recurrente,Retail\n"
        + "not-a-phone,Bad,Row,,,,\n"
        + "+573001111111,Already,There,,,,\n"
        + "300 123 4567,Repeated,In file,,,,\n"
        + "\n"
        + "3007654321,María,,maria@@,,,\n"
        + "3009999999,Ana,,,unknown,,\n"
    )
    response = await _import(client, admin, text)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["imported"] == 1
    assert body["duplicates"] == 2
    assert body["skipped"] == 5
    assert [(e["row"], e["field"]) for e in body["errors"]] == [
        (3, "phone_number"),
        (7, "email"),
        (8, "lead_status"),
    ]
    found = await client.get(f"{BASE}/clients", params={"search": "rodriguez"}, headers=admin.headers)
    (carlos,) = found.json()["data"]
    assert carlos["phone_number"] == "+573001234567"
    assert carlos["tags"] == ["recurrente", "vip"]
    detail = await client.get(f"{BASE}/clients/{carlos['id']}", headers=admin.headers)
    assert detail.json()["custom_fields"] == {"industria": "Retail"}
    assert await _total(client, admin) == 2


async def test_latin1_files_keep_their_accents(client: httpx.AsyncClient, admin: Caller) -> None:
    text = "phone_number;first_name;last_name\n3001234567;José;Muñoz\n"
    response = await _import(client, admin, text.encode("cp1252"))
    assert response.json()["imported"] == 1
    found = await client.get(f"{BASE}/clients", params={"search": "jose munoz"}, headers=admin.headers)
    assert [(c["first_name"], c["last_name"]) for c in found.json()["data"]] == [("José", "Muñoz")]


async def test_utf8_with_bom_and_semicolons(client: httpx.AsyncClient, admin: Caller) -> None:
    text = "\ufeffTeléfono;First_Name\n3001234567;Ñandú\n"
    response = await _import(client, admin, text)
    assert response.json()["imported"] == 1, response.text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf \n", "empty"),
        (b"nombre,apellido\nJuan,Perez\n", "Unknown column"),
        (b"first_name,last_name\nJuan,Perez\n", "no phone_number"),
        (b"phone_number,phone_number\n1,2\n", "Repeated"),
        (b"phone_number,first_name\n", "no rows"),
    ],
)
async def test_bad_files_get_a_clear_422_and_write_nothing(
    client: httpx.AsyncClient, admin: Caller, content: bytes, message: str
) -> None:
    response = await _import(client, admin, content)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "INVALID_CSV"
    assert message in response.json()["error"]["message"]
    assert await _total(client, admin) == 0


async def test_a_mid_file_encoding_break_rolls_everything_back(
    client: httpx.AsyncClient, admin: Caller
) -> None:
    good = "".join(f"30012{n:05d},Cliente\n" for n in range(6000)).encode()
    content = b"phone_number,first_name\n" + good + b"3001299999,\xff\xfe broken\n"
    response = await _import(client, admin, content)
    assert response.status_code == 422
    assert "encoding" in response.json()["error"]["message"]
    assert await _total(client, admin) == 0


async def test_dry_run_checks_everything_and_writes_nothing(client: httpx.AsyncClient, admin: Caller) -> None:
    text = HEADER + "3001234567,Carlos,,,,,\n3001234567,Again,,,,,\nbad,,,,,,\n"
    response = await _import(client, admin, text, dry_run="true")
    body = response.json()
    assert (body["imported"], body["duplicates"], len(body["errors"]), body["dry_run"]) == (1, 1, 1, True)
    assert await _total(client, admin) == 0


async def test_on_duplicate_update_refreshes_existing_clients(
    client: httpx.AsyncClient, admin: Caller
) -> None:
    created = await new_client(client, admin, phone_number="+573001234567", first_name="Viejo", tags=["a"])
    text = "phone_number,first_name,tags\n3001234567,Nuevo,b\n"
    response = await _import(client, admin, text, on_duplicate="update")
    assert (response.json()["imported"], response.json()["updated"]) == (0, 1)
    detail = (await client.get(f"{BASE}/clients/{created['id']}", headers=admin.headers)).json()
    assert detail["first_name"] == "Nuevo" and detail["tags"] == ["a", "b"]
    bad = await _import(client, admin, text, on_duplicate="merge")
    assert bad.status_code == 422


async def test_large_files_run_as_a_job_with_readable_progress(
    make_app: Callable[..., NexoApplication], database: Database, settings: Settings
) -> None:
    app = make_app(crm_import_inline_max_bytes=1024)
    admin = await caller(database, settings)
    rows = "".join(f"30{n:08d},Cliente {n},,,,,\n" for n in range(1, 5200)) + "bad,,,,,,\n"
    async with http_client(app) as http:
        response = await _import(http, admin, HEADER + rows)
        assert response.status_code == 202, response.text
        started = response.json()
        assert (started["status"], started["total_rows"], started["rows_processed"]) == ("queued", 5200, 0)
        async with database.transaction() as session:
            allow_all_tenants(session, reason="test reads the job queue")
            job = await session.scalar(select(Job).where(Job.kind == JOB_KIND))
        assert job is not None
        progress = []
        while True:
            async with database.transaction() as session:
                again = await run_import_job(session, dict(job.payload))
            status = (await http.get(f"{BASE}/clients/imports/{started['id']}", headers=admin.headers)).json()
            progress.append(status["rows_processed"])
            if again is None:
                break
        assert progress == [5000, 5200]
        assert (status["status"], status["imported"], status["skipped"]) == ("done", 5199, 1)
        assert status["errors"] == [
            {"row": 5201, "field": "phone_number", "error": status["errors"][0]["error"]}
        ]
        assert await _total(http, admin) == 5199


async def _client_and_import_rows(database: Database) -> tuple[int, int, int]:
    async with database.transaction() as session:
        allow_all_tenants(session, reason="test counts what an import left behind")
        counts = [
            int(await session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Client, ClientImport, ClientImportSegment)
        ]
    return counts[0], counts[1], counts[2]


@pytest.mark.parametrize("rows", [3_000, 10_000])  # under, then over, the body limit the route sets
async def test_files_over_the_import_limit_get_413_and_write_nothing(
    make_app: Callable[..., NexoApplication], database: Database, settings: Settings, rows: int
) -> None:
    app = make_app(crm_import_max_bytes=64 * 1024)
    admin = await caller(database, settings)
    text = HEADER + "".join(f"30{n:08d},Cliente {n},,,,,\n" for n in range(rows))  # 29 bytes a row
    async with http_client(app) as http:
        response = await _import(http, admin, text)
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "PAYLOAD_TOO_LARGE"
    assert "65,536 bytes" in error["message"] and "NEXO_CRM_IMPORT_MAX_BYTES" in error["message"]
    assert await _client_and_import_rows(database) == (0, 0, 0)


async def test_the_form_is_checked_like_any_body(client: httpx.AsyncClient, admin: Caller) -> None:
    no_file = await client.post(f"{BASE}/clients/import", data={"dry_run": "true"}, headers=admin.headers)
    assert no_file.status_code == 422 and no_file.json()["error"]["details"][0]["field"] == "file"
    bad_flag = await _import(client, admin, HEADER + "3001234567,Ana,,,,,\n", dry_run="maybe")
    assert bad_flag.status_code == 422 and bad_flag.json()["error"]["details"][0]["field"] == "dry_run"
    assert await _total(client, admin) == 0


def _write_large_csv(path: Path, size: int) -> int:
    """A CSV of at least `size` bytes written row by row (never whole in memory); returns its rows."""
    note = "Cliente importado desde la feria de Bogotá; prefiere contacto por WhatsApp. " * 6
    rows = 0
    with path.open("w", encoding="utf-8") as handle:
        handle.write("phone_number,first_name,last_name,notes\n")
        while handle.tell() < size:
            handle.write(f"+5731{rows:08d},María,Rodríguez {rows},{note}\n")
            rows += 1
    return rows


async def test_a_50_mb_file_is_staged_whole_as_one_job(
    make_app: Callable[..., NexoApplication], database: Database, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "clientes-50mb.csv"
    rows = _write_large_csv(path, 50 * 1024 * 1024)
    app = make_app()
    admin = await caller(database, settings)
    async with http_client(app, timeout=300) as http:
        with path.open("rb") as upload:  # httpx streams the file
            response = await http.post(
                f"{BASE}/clients/import",
                files={"file": (path.name, upload, "text/csv")},
                headers=admin.headers,
            )
        assert response.status_code == 202, response.text
        started = response.json()
        assert (started["status"], started["total_rows"], started["rows_processed"]) == ("queued", rows, 0)
        progress = await http.get(f"{BASE}/clients/imports/{started['id']}", headers=admin.headers)
        assert progress.json()["total_rows"] == rows
    # Staged whole, nothing imported yet: the job writes clients segment by segment from here.
    assert await _client_and_import_rows(database) == (0, 1, -(-rows // BATCH_ROWS))


async def test_export_streams_csv_honouring_filters_and_round_trips(
    client: httpx.AsyncClient, database: Database, settings: Settings, admin: Caller
) -> None:
    await new_client(
        client,
        admin,
        phone_number="+573001234567",
        first_name="Carlos",
        last_name="Rodríguez",
        lead_status="contacted",
        tags=["vip"],
        custom_fields={"cargo": "Gerente"},
    )
    await new_client(client, admin, phone_number="+573007654321", first_name="Ana")
    response = await client.get(
        f"{BASE}/clients/export", params={"format": "csv", "lead_status": "contacted"}, headers=admin.headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["first_name"], r["last_name"], r["tags"]) for r in rows] == [("Carlos", "Rodríguez", "vip")]
    assert rows[0]["custom_fields"] == '{"cargo": "Gerente"}'
    other = await caller(database, settings)
    imported = await _import(client, other, response.content)
    assert imported.json()["imported"] == 1, imported.text
    copy = (await client.get(f"{BASE}/clients", params={"search": "rodriguez"}, headers=other.headers)).json()
    assert copy["data"][0]["tags"] == ["vip"] and copy["data"][0]["lead_status"] == "contacted"
    assert (
        await client.get(f"{BASE}/clients/export", params={"format": "xlsx"}, headers=admin.headers)
    ).status_code == 422
