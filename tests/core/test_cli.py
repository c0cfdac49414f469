"""The ``isms`` command line: demo loading, administrators, the worker alias."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from isms.core import journal
from isms.core.models import JournalEntry, Municipality, OrgUnit, Person, RoleAssignment, User
from isms.core.roles import Role
from isms.policy.models import BasicPolicy


@pytest.mark.django_db
def test_demo_loads_tsuru_and_covers_every_role(capsys):
    call_command("demo", password="demo-password-1")
    out = capsys.readouterr().out
    assert "Loaded 都留市 (192040)." in out
    assert "demo-password-1" in out
    m = Municipality.objects.get(code="192040")
    assert set(RoleAssignment.objects.filter(municipality=m).values_list("role", flat=True)) == set(
        Role.values
    )
    assert set(OrgUnit.objects.filter(municipality=m).values_list("organ_kind", flat=True)) == set(
        OrgUnit.OrganKind.values
    )
    assert set(
        Person.objects.filter(municipality=m).values_list("staff_category", flat=True)
    ) == set(Person.StaffCategory.values)
    assert BasicPolicy.objects.get(municipality=m, is_current=True).sections.count() == 10
    assert User.objects.get(username="ciso").check_password("demo-password-1")


@pytest.mark.django_db
def test_demo_is_idempotent():
    """A second run adds no record; only the password changes (and is journaled)."""
    from isms.assets.models import AssetHost, DisposalRecord, InformationAsset, LifecycleRequest

    def asset_counts() -> tuple[int, ...]:
        return (
            InformationAsset.objects.count(),
            AssetHost.objects.count(),
            DisposalRecord.objects.count(),
            LifecycleRequest.objects.count(),
            JournalEntry.objects.filter(action__startswith="asset").count(),
        )

    call_command("demo", password="first-password")
    counts = (OrgUnit.objects.count(), Person.objects.count(), RoleAssignment.objects.count())
    assets = asset_counts()
    call_command("demo", password="second-password")
    assert (
        OrgUnit.objects.count(),
        Person.objects.count(),
        RoleAssignment.objects.count(),
    ) == counts
    assert asset_counts() == assets
    assert User.objects.get(username="staff").check_password("second-password")
    assert JournalEntry.objects.filter(action="org_unit.create").count() == counts[0]
    assert JournalEntry.objects.filter(action="user.set_password").count() == 2 * 6
    assert journal.verify().ok


@pytest.mark.django_db
def test_createadmin_creates_a_municipality_administrator(monkeypatch, capsys):
    call_command("demo", password="x-password")
    monkeypatch.setenv("ISMS_ADMIN_PASSWORD", "a-long-enough-passphrase")
    call_command("createadmin", "kanri", municipality="192040")
    user = User.objects.get(username="kanri")
    assert user.is_municipality_admin and user.municipality.code == "192040"
    assert not user.is_superuser
    assert JournalEntry.objects.filter(action="user.create", object_id=str(user.pk)).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x", "--municipality", "999999"], "No municipality has the code 999999."),
        (["x"], "Give --municipality CODE, or --superuser for a platform account."),
    ],
)
def test_createadmin_refuses_bad_input(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("createadmin", *args)


@pytest.mark.django_db
def test_createadmin_refuses_a_weak_password_and_saves_nothing(monkeypatch):
    monkeypatch.setenv("ISMS_ADMIN_PASSWORD", "short")
    with pytest.raises(CommandError, match="短すぎます"):
        call_command("createadmin", "root", superuser=True)
    assert not User.objects.filter(username="root").exists()


@pytest.mark.django_db
def test_grant_service_access_as_the_ciso_is_journaled_and_takes_effect():
    """The CISO grants service-administrator access from the command line, with a reason."""
    from isms.core import permissions
    from isms.core.permissions import Action
    from tests.support.factories import make_user

    call_command("demo", password="x-password")
    m = Municipality.objects.get(code="192040")
    operator = make_user(None, "pref-operator", service_admin_of=(m,))
    assert not permissions.can(operator, Action.VIEW_PEOPLE, municipality=m)
    call_command("grant", "service-access", "--as", "ciso", "--reason", "県の共同運用")
    assert permissions.can(operator, Action.VIEW_PEOPLE, municipality=m)
    entry = JournalEntry.objects.filter(action="service_access.set").get()
    assert (entry.actor.username, entry.after["reason"]) == ("ciso", "県の共同運用")
    call_command("grant", "service-access", "--as", "ciso", "--revoke")
    assert not permissions.can(operator, Action.VIEW_PEOPLE, municipality=m)


@pytest.mark.django_db
def test_grant_refuses_a_user_without_the_right_and_saves_nothing():
    call_command("demo", password="x-password")
    with pytest.raises(CommandError, match="staff may not do this"):
        call_command("grant", "service-access", "--as", "staff", "--reason", "x")
    with pytest.raises(CommandError, match="staff may not do this"):
        call_command(
            "grant",
            "sod-waiver",
            "--as",
            "staff",
            "--person",
            "D0005",
            "--kind",
            "applicant_approver",
            "--subject",
            "role:1:auditor",
            "--reason",
            "x",
        )
    assert not JournalEntry.objects.filter(action__in=["service_access.set", "sod_waiver.grant"])


@pytest.mark.django_db
def test_sod_waiver_lets_the_waived_self_assignment_through():
    """Nobody grants themself a role, unless the CISO recorded a waiver for that subject."""
    from django.core.exceptions import ValidationError

    from isms.core import services

    call_command("demo", password="x-password")
    lead = User.objects.get(username="lead")
    person = lead.person
    with pytest.raises(ValidationError):
        services.assign_role(lead, person, Role.AUDITOR, fiscal_year=2040)
    call_command(
        "grant",
        "sod-waiver",
        "--as",
        "ciso",
        "--person",
        person.employee_number,
        "--kind",
        "applicant_approver",
        "--subject",
        f"role:{person.pk}:auditor",
        "--reason",
        "監査人が他にいない",
    )
    assignment = services.assign_role(lead, person, Role.AUDITOR, fiscal_year=2040)
    assert assignment.person == person


@pytest.mark.django_db
def test_demo_has_last_years_manager_of_the_tax_division():
    """History has something to answer: 税務課's manager last year was 佐々木, this year 小林."""
    from django.utils import timezone

    from isms.core import history
    from isms.core.calendar import fiscal_year_of

    call_command("demo", password="x-password")
    m = Municipality.objects.get(code="192040")
    this_year = fiscal_year_of(timezone.localdate())

    def holders(year: int) -> list[str]:
        found = history.holders_in(
            m, Role.DIVISION_SECURITY_MANAGER, unit_name="税務課", fiscal_year=year
        )
        return [str(a.person) for a in found]

    assert holders(this_year - 1) == ["佐々木 浩"]
    assert holders(this_year) == ["小林 由美"]


@pytest.mark.django_db
def test_demo_assets_give_the_consistency_report_something_to_show():
    """The planted inconsistencies, the duplicates, the out-of-scope hospital asset and the
    university's asset are all there; the demo's disposal request awaits 総務課's manager."""
    from isms.assets import services as asset_services
    from isms.assets.consistency import consistency_report
    from isms.assets.models import InformationAsset, LifecycleRequest
    from isms.core.permissions import SeparationOfDutiesError

    call_command("demo", password="x-password")
    m = Municipality.objects.get(code="192040")
    assets = InformationAsset.objects.filter(municipality=m)
    assert assets.count() >= 25
    assert {a.kind for a in assets} == set(InformationAsset.Kind.values)
    assert {a.segment for a in assets} >= set(InformationAsset.Segment.values)
    assert assets.values("owning_unit").distinct().count() >= 12
    report = consistency_report(User.objects.get(username="lead"))
    found = {(i.asset_number, i.code) for i in report.issues}
    assert {
        ("A-220-002", "specific_personal_info_outside_mynumber"),
        ("A-230-001", "availability_without_backup"),
        ("A-210-002", "mynumber_mfa_unconfirmed"),
        ("A-210-002", "mynumber_export_block_unconfirmed"),
        ("A-220-003", "medium_below_highest_class"),
    } <= found
    assert not any(number == "A-111-001" for number, _code in found)
    assert report.duplicates and report.duplicates[0].asset_numbers == ("A-320-001", "A-320-002")
    hospital = assets.get(asset_number="A-900-001")
    assert hospital.in_scope is False and "医療に用いる" in hospital.out_of_scope_reason
    university = assets.get(asset_number="A-420-001")
    assert (university.used_by_university, university.in_scope) == (True, True)
    assert assets.get(asset_number="A-110-004").status == "disposed"
    request = LifecycleRequest.objects.get(asset__asset_number="A-110-005")
    with pytest.raises(SeparationOfDutiesError):
        asset_services.approve_lifecycle_request(User.objects.get(username="lead"), request)
    asset_services.approve_lifecycle_request(User.objects.get(username="kacho"), request)
    assert LifecycleRequest.objects.get(pk=request.pk).state == "approved"
    assert journal.verify().ok
