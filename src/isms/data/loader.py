"""Load a municipality's default configuration and demo data from ``data/<name>/`` (YAML).

Idempotent: records are matched by their stable keys (municipality code, org unit code,
employee number), so running ``isms demo`` twice changes nothing the second time except the
demo password.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from isms.assets import services as asset_services
from isms.assets.models import InformationAsset
from isms.core import services
from isms.core.calendar import fiscal_year_bounds, fiscal_year_of
from isms.core.models import Municipality, OrgUnit, Person, RoleAssignment, User
from isms.incidents.demo import load_demo_incident_settings
from isms.incidents.plan.services import load_default_plan
from isms.inspections.audits.demo import load_demo_audits
from isms.inspections.demo import load_demo_inspections
from isms.policy.services import load_basic_policy, load_control_standard
from isms.risks.demo import load_demo_risks

DATA_DIR = Path(__file__).resolve().parent


def read_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


@dataclass
class DemoResult:
    municipality: Municipality
    logins: list[tuple[str, str]] = field(default_factory=list)
    password: str = ""


def load_configuration(name: str = "tsuru") -> Municipality:
    """Create the municipality of ``data/<name>/`` if missing and load its basic policy."""
    folder = DATA_DIR / name
    spec = read_yaml(folder / "municipality.yaml")
    with transaction.atomic():
        m = Municipality.objects.filter(code=spec["code"]).first()
        if m is None:
            m = services.create_municipality(None, **spec)
        load_basic_policy(None, m, read_yaml(folder / "basic_policy.yaml"))
        if (folder / "control_standard.yaml").exists():
            load_control_standard(None, m, read_yaml(folder / "control_standard.yaml"))
        if (folder / "emergency_plan.yaml").exists():
            load_default_plan(m, read_yaml(folder / "emergency_plan.yaml"))
    return m


def _ensure_units(m: Municipality, rows: list[dict[str, Any]]) -> dict[str, OrgUnit]:
    units = {u.code: u for u in OrgUnit.objects.filter(municipality=m)}
    for row in rows:
        if row["code"] in units:
            continue
        data = {k: v for k, v in row.items() if k != "parent"}
        data["parent"] = units[row["parent"]] if row.get("parent") else None
        units[row["code"]] = services.create_org_unit(None, m, **data)
    return units


def _ensure_person(m: Municipality, row: dict[str, Any], units: dict[str, OrgUnit]) -> Person:
    person = Person.objects.filter(municipality=m, employee_number=row["employee_number"]).first()
    if person is None:
        data = {
            k: row[k]
            for k in (
                "employee_number",
                "family_name",
                "given_name",
                "family_name_kana",
                "given_name_kana",
                "staff_category",
            )
        }
        data["org_unit"] = units[row["unit"]] if row.get("unit") else None
        person = services.create_person(None, m, **data)
    return person


def _ensure_roles(
    person: Person, roles: list[dict[str, Any]], units: dict[str, OrgUnit], fy: int
) -> None:
    for r in roles:
        # "years_ago: 1" puts a role in last fiscal year, so that history has something to show.
        year = fy - int(r.get("years_ago", 0))
        lo, hi = fiscal_year_bounds(year)
        unit = units[r["unit"]] if r.get("unit") else None
        exists = (
            RoleAssignment.objects.filter(
                person=person, role=r["role"], org_unit=unit, start_date__lte=hi
            )
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=lo))
            .exists()
        )
        if not exists:
            services.assign_role(None, person, r["role"], org_unit=unit, fiscal_year=year)


def _ensure_login(m: Municipality, person: Person, username: str, password: str) -> None:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = services.create_user(None, username=username, password=None, municipality=m)
    # The demo password is random but short, so it skips the length rule on purpose.
    services.set_password(None, user, password, validate=False)
    if person.user_id != user.pk:
        services.link_login(None, person, user)


_ASSET_EXTRAS = ("unit", "custodian", "hosts", "confirm", "confirmed_by", "disposal", "requests")


def _ensure_assets(m: Municipality, rows: list[dict[str, Any]], units: dict[str, OrgUnit]) -> None:
    """Register the demo assets that are missing (by asset number), with their hosts, confirmed
    controls, disposal record and pending requests; existing ones are left as they are."""
    existing = set(
        InformationAsset.objects.filter(municipality=m).values_list("asset_number", flat=True)
    )
    people = {p.employee_number: p for p in Person.objects.filter(municipality=m)}
    for row in rows:
        if row["asset_number"] in existing:
            continue
        data = {k: v for k, v in row.items() if k not in _ASSET_EXTRAS}
        data["owning_unit"] = units[row["unit"]]
        if row.get("custodian"):
            data["custodian"] = people[row["custodian"]]
        asset = asset_services.create_asset(None, m, **data).asset
        for host in row.get("hosts", []):
            asset_services.add_host(None, asset, **host)
        confirmer = User.objects.filter(username=row.get("confirmed_by", "")).first()
        if "mfa" in row.get("confirm", []):
            asset_services.confirm_mfa(confirmer, asset)
        if "export_blocked" in row.get("confirm", []):
            asset_services.confirm_export_blocked(confirmer, asset)
        if row.get("disposal"):
            d = row["disposal"]
            asset_services.record_disposal(
                None,
                asset,
                disposed_on=timezone.localdate() - datetime.timedelta(days=int(d["days_ago"])),
                method=d["method"],
                disposed_by=people[d["by"]],
            )
        for request in row.get("requests", []):
            applicant = User.objects.get(username=request["by"])
            asset_services.request_lifecycle(
                applicant, asset, kind=request["kind"], details=request["details"]
            )


def load_demo(name: str = "tsuru", *, password: str | None = None) -> DemoResult:
    """Load the configuration plus the demo org chart, people, roles, logins and assets."""
    spec = read_yaml(DATA_DIR / name / "demo_org.yaml")
    assets_file = DATA_DIR / name / "demo_assets.yaml"
    assets = read_yaml(assets_file)["assets"] if assets_file.exists() else []
    password = password or secrets.token_urlsafe(9)
    fy = fiscal_year_of(timezone.localdate())
    with transaction.atomic():
        m = load_configuration(name)
        result = DemoResult(municipality=m, password=password)
        units = _ensure_units(m, spec["org_units"])
        for row in spec["people"]:
            person = _ensure_person(m, row, units)
            _ensure_roles(person, row.get("roles", []), units, fy)
            if row.get("login"):
                _ensure_login(m, person, row["login"], password)
                result.logins.append((row["login"], str(person)))
        admin = User.objects.filter(username="admin").first()
        if admin is None:
            admin = services.create_user(
                None, username="admin", password=None, municipality=m, is_municipality_admin=True
            )
        services.set_password(None, admin, password, validate=False)
        result.logins.insert(0, ("admin", "団体管理者"))
        _ensure_assets(m, assets, units)
        risks_file = DATA_DIR / name / "demo_risks.yaml"
        if risks_file.exists():
            load_demo_risks(m, read_yaml(risks_file)["risks"], fy)
        load_demo_incident_settings(m)
        load_demo_inspections(m, fy)
        load_demo_audits(m, fy)
    return result
