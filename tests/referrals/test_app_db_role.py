"""The application's own database role (``manage.py grant_app_role``,
issue 9 item 4): it may not TRUNCATE, UPDATE or DELETE the access log (nor
clinical events), yet the service works as it.

Each test makes a role of its own inside its transaction, grants it, and acts
as it with ``SET ROLE``; the rollback at its end takes the role, its grants and
the role switch away. The test suite itself runs as the owner, whose flush
(TRUNCATE) is untouched.
"""

import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client

from notifications.tasks import sweep_clocks
from pathways.models import ClinicalEvent
from referrals.models import PatientDataAccess, Referral, User
from tests.conftest import PASSWORD, referral_body


def execute(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def new_role() -> str:
    """A role name of this test's own: roles are the whole cluster's."""
    return f"mscc_app_test_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def superuser(db: Any) -> User:
    return User.objects.create_superuser(username="root", email="", password=PASSWORD)


@pytest.fixture
def app_role(db: Any) -> str:
    role = new_role()
    execute(f'CREATE ROLE "{role}" NOLOGIN')
    call_command("grant_app_role", role, stdout=io.StringIO())
    return role


@contextmanager
def acting_as(role: str) -> Iterator[None]:
    execute(f'SET ROLE "{role}"')
    try:
        yield
    finally:
        execute("RESET ROLE")


def refused(sql: str) -> str:
    """The database's error for ``sql``, in a savepoint of its own."""
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        execute(sql)
    return str(caught.value)


@pytest.mark.postgres
def test_the_app_role_may_not_truncate_update_or_delete_the_access_log(
    app_role: str, coordinator: Any, api: Any, referral: Referral
) -> None:
    with acting_as(app_role):
        # It records and reads accesses as the service does...
        assert api(coordinator).get(f"/api/v1/referrals/{referral.pk}/").status_code == 200
        assert PatientDataAccess.objects.count() == 1
        # ... and may not remove or change one, by any statement.
        for statement in (
            "TRUNCATE referrals_patientdataaccess",
            "TRUNCATE referrals_patientdataaccess CASCADE",
            "DELETE FROM referrals_patientdataaccess",
            "UPDATE referrals_patientdataaccess SET view = 'x'",
            "TRUNCATE pathways_clinicalevent CASCADE",
            "DELETE FROM pathways_clinicalevent",
            "UPDATE pathways_clinicalevent SET details = 'x'",
        ):
            assert "permission denied" in refused(statement), statement
        assert PatientDataAccess.objects.get().view == "api.referral.detail"
    # The owner (migrate, the test suite's flush) still may.
    assert execute(
        "SELECT has_table_privilege(current_user, 'referrals_patientdataaccess', 'TRUNCATE')"
    ) == [(True,)]


@pytest.mark.postgres
def test_the_app_role_may_truncate_no_table(app_role: str) -> None:
    rows = execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
        "AND has_table_privilege(%s, format('%%I.%%I', schemaname, tablename), 'TRUNCATE')",
        [app_role],
    )
    assert rows == []


@pytest.mark.postgres
def test_the_service_works_as_the_app_role(
    app_role: str, on_call: Any, api: Any, superuser: User
) -> None:
    """Intake, the queue, acknowledgement, an event and its withdrawal, the
    sweep, the pages and the admin: every privilege the service uses is granted."""
    world = on_call
    with acting_as(app_role):
        created = api(world.referrer).post("/api/v1/referrals/", referral_body(), format="json")
        assert created.status_code == 201, created.json()
        url = f"/api/v1/referrals/{created.json()['id']}/"
        coordinator = api(world.coordinator)
        assert coordinator.get("/api/v1/queue/").status_code == 200
        assert coordinator.post(f"{url}acknowledge/").status_code == 200
        event = coordinator.post(
            f"{url}events/", {"kind": "mri_requested", "details": ""}, format="json"
        )
        assert event.status_code == 201, event.json()
        mri = ClinicalEvent.objects.get(kind="mri_requested")
        withdrawn = coordinator.post(
            f"{url}events/",
            {"kind": "entered_in_error", "corrects": str(mri.pk), "details": "Wrong patient."},
            format="json",
        )
        assert withdrawn.status_code == 201, withdrawn.json()
        sweep_clocks()
        page = Client()
        page.force_login(world.coordinator)
        assert page.get("/queue/").status_code == 200
        assert page.get(f"/referrals/{created.json()['id']}/").status_code == 200
        page.force_login(superuser)
        assert page.get("/admin/referrals/patient/").status_code == 200
    assert PatientDataAccess.objects.count() >= 6


@pytest.mark.postgres
def test_grant_app_role_creates_a_login_role_with_the_password_from_the_environment(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    role = new_role()
    monkeypatch.setenv("MSCC_APP_DB_PASSWORD", "a-test-only-password-'quoted'")
    out = io.StringIO()
    call_command("grant_app_role", role, "--create", stdout=out)
    ((can_login, password),) = execute(
        "SELECT rolcanlogin, rolpassword FROM pg_authid WHERE rolname = %s", [role]
    )
    assert can_login and password.startswith("SCRAM-SHA-256$")
    assert "a-test-only-password" not in out.getvalue()
    with acting_as(role):
        assert "permission denied" in refused("TRUNCATE referrals_patientdataaccess")


@pytest.mark.postgres
def test_grant_app_role_refuses_a_role_privileges_do_not_bind(db: Any) -> None:
    ((me,),) = execute("SELECT current_user")
    with pytest.raises(CommandError, match="superuser"):
        call_command("grant_app_role", me, stdout=io.StringIO())
    owner = new_role()
    execute(f'CREATE ROLE "{owner}" NOLOGIN')
    execute(f'ALTER TABLE referrals_patientdataaccess OWNER TO "{owner}"')
    with pytest.raises(CommandError, match="owns the tables"):
        call_command("grant_app_role", owner, stdout=io.StringIO())
    member = new_role()
    execute(f'CREATE ROLE "{member}" NOLOGIN IN ROLE "{owner}"')
    with pytest.raises(CommandError, match="member of their owner"):
        call_command("grant_app_role", member, stdout=io.StringIO())
    with pytest.raises(CommandError, match="No role"):
        call_command("grant_app_role", new_role(), stdout=io.StringIO())


@pytest.mark.postgres
def test_grant_app_role_prints_its_sql_for_a_database_administrator(db: Any) -> None:
    out = io.StringIO()
    call_command("grant_app_role", "mscc_app", "--create", "--sql", stdout=out)
    sql = out.getvalue()
    assert 'CREATE ROLE "mscc_app" LOGIN;' in sql
    assert 'REVOKE ALL ON ALL TABLES IN SCHEMA "public" FROM "mscc_app";' in sql
    # Every append-only table: the team's change record joined them (issue 11).
    assert (
        'REVOKE UPDATE, DELETE ON TABLE "public"."accounts_teamchange", '
        '"public"."pathways_clinicalevent", '
        '"public"."referrals_patientdataaccess" FROM "mscc_app";' in sql
    )
    assert "TRUNCATE" not in sql.replace("no TRUNCATE", "")
    assert not execute("SELECT 1 FROM pg_roles WHERE rolname = 'mscc_app'")  # nothing run


def test_grant_app_role_needs_postgresql(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The embedded SQLite default has no roles: the command says so."""
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("grant_app_role", "mscc_app", stdout=io.StringIO())
