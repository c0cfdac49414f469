"""Synthetic municipalities at the prefecture scale: org units, people, logins, role assignments.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/isms_bench \\
        .venv/bin/python -m benchmarks.generate --preset prefecture

``--preset prefecture`` makes 30 municipalities with 30,000 people between them (sizes fall off
like a real prefecture: one large city, many small towns), a 部局 / 課 / 係 tree for each (about one
係 per 25 people), and role assignments for three fiscal years (the current one and the two
before). ``--sizes 100,1000,10000`` makes one municipality per size instead.

Volume goes in with ``bulk_create``, which skips ``Model.save()``: whatever a model derives in
``save()`` (today ``Person.refresh_keys()``: the search and sort keys) must be computed here too.
Every record still gets its journal entry, written in
batches with :func:`isms.core.journal.record_many` in the same transaction, so
``isms journal verify`` passes afterwards. Municipalities and logins go through the ordinary
services. The data is deterministic for a given ``--seed``. The generator refuses a database that
already holds municipalities unless ``--append`` is given.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from benchmarks import env

T = TypeVar("T")

PREFECTURE = "19"  # 山梨県; the generated bodies use numbers 701–799, which no real body has
FIRST_BODY_NUMBER = 701
PEOPLE_PER_SECTION = 25
SECTIONS_PER_DIVISION = 4
DIVISIONS_PER_BUREAU = 6
JOURNAL_BATCH = 2000
FISCAL_YEARS = 3

FAMILY_NAMES = (
    ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"),
    ("伊藤", "イトウ"), ("渡辺", "ワタナベ"), ("山本", "ヤマモト"), ("中村", "ナカムラ"),
    ("小林", "コバヤシ"), ("加藤", "カトウ"), ("吉田", "ヨシダ"), ("山田", "ヤマダ"),
    ("佐々木", "ササキ"), ("山口", "ヤマグチ"), ("松本", "マツモト"), ("井上", "イノウエ"),
    ("木村", "キムラ"), ("林", "ハヤシ"), ("斎藤", "サイトウ"), ("清水", "シミズ"),
    ("山崎", "ヤマザキ"), ("森", "モリ"), ("池田", "イケダ"), ("橋本", "ハシモト"),
    ("阿部", "アベ"), ("石川", "イシカワ"), ("山下", "ヤマシタ"), ("中島", "ナカジマ"),
    ("石井", "イシイ"), ("小川", "オガワ"),
)  # fmt: skip
GIVEN_NAMES = (
    ("太郎", "タロウ"), ("花子", "ハナコ"), ("翔", "ショウ"), ("陽菜", "ヒナ"),
    ("健一", "ケンイチ"), ("美咲", "ミサキ"), ("大輔", "ダイスケ"), ("由美", "ユミ"),
    ("誠", "マコト"), ("直子", "ナオコ"), ("拓也", "タクヤ"), ("恵", "メグミ"),
    ("亮", "リョウ"), ("愛", "アイ"), ("浩二", "コウジ"), ("真由美", "マユミ"),
    ("隆", "タカシ"), ("裕子", "ユウコ"), ("修", "オサム"), ("明美", "アケミ"),
)  # fmt: skip
DIVISION_NAMES = (
    "総務", "企画", "財政", "税務", "市民", "福祉", "子育て支援", "健康づくり",
    "環境", "産業振興", "観光", "建設", "都市計画", "上下水道", "学校教育", "生涯学習",
    "情報政策", "防災", "農林", "会計",
)  # fmt: skip
# (share of staff, category) for the five 職員等 categories of seed 2.5.
STAFF_MIX = (
    (70, "regular"),
    (10, "part_time"),
    (12, "fiscal_year_appointed"),
    (3, "external_body"),
    (5, "contractor"),
)
# Roles held for the whole municipality each fiscal year, and how many people hold each.
WIDE_ROLES = (
    ("ciso", 1),
    ("deputy_ciso", 1),
    ("ciso_advisor", 1),
    ("lead_security_officer", 1),
    ("committee_chair", 1),
    ("committee_member", 5),
    ("lead_audit_officer", 1),
    ("auditor", 3),
    ("csirt_lead", 1),
    ("csirt_member", 4),
)


@dataclass(frozen=True)
class MunicipalitySpec:
    """One municipality to generate."""

    code: str
    name: str
    people: int


@dataclass
class Generated:
    """What was generated for one municipality (ids the benchmarks need)."""

    municipality_id: int
    code: str
    name: str
    people: int
    org_units: int
    role_assignments: int
    journal_entries: int
    admin_username: str
    ciso_username: str
    division_ids: list[int] = field(default_factory=list)


def lg_code(prefecture: str, number: int) -> str:
    """Return a valid 全国地方公共団体コード for body ``number`` of ``prefecture``."""
    from isms.core.validators import lg_code_check_digit

    first_five = f"{prefecture}{number:03d}"
    return f"{first_five}{lg_code_check_digit(first_five)}"


def prefecture_sizes(count: int, total: int) -> list[int]:
    """Split ``total`` people over ``count`` municipalities, largest first (1/rank shares)."""
    weights = [1 / rank for rank in range(1, count + 1)]
    scale = total / sum(weights)
    sizes = [max(1, math.floor(w * scale)) for w in weights]
    sizes[0] += total - sum(sizes)
    return sizes


def specs_for(
    sizes: Sequence[int], *, prefecture: str = PREFECTURE, first: int = 0
) -> list[MunicipalitySpec]:
    """Return one spec per size, with valid, distinct codes and names."""
    return [
        MunicipalitySpec(
            code=lg_code(prefecture, FIRST_BODY_NUMBER + first + i),
            name=f"ベンチ第{first + i + 1:02d}市",
            people=size,
        )
        for i, size in enumerate(sizes)
    ]


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _journal_created(objs: Sequence[Any], action: str, m_id: int) -> int:
    """Write one ``<action>`` entry per object, in batches, to ``m_id``'s chain."""
    from isms.core import journal

    written = 0
    for batch in _chunks(objs, JOURNAL_BATCH):
        items = [
            journal.JournalItem(
                action=action,
                object_type=o._meta.label_lower,
                object_id=str(o.pk),
                object_label=str(o),
                after=journal.snapshot(o),
            )
            for o in batch
        ]
        written += len(journal.record_many(items, actor=None, municipality=m_id, system="bench"))
    return written


def _org_units(m: Any, people: int) -> tuple[list[Any], list[Any], list[Any]]:
    from isms.core.models import OrgUnit

    n_sections = max(1, people // PEOPLE_PER_SECTION)
    n_divisions = max(1, math.ceil(n_sections / SECTIONS_PER_DIVISION))
    n_bureaus = max(1, math.ceil(n_divisions / DIVISIONS_PER_BUREAU))
    special = ("administrative_committee", "assembly_secretariat", "fire_headquarters")

    def organ(b: int) -> str:
        k = n_bureaus - 1 - b
        return special[k] if n_bureaus > 3 and k < len(special) else "mayor_departments"

    bureaus = OrgUnit.objects.bulk_create(
        OrgUnit(
            municipality=m,
            code=f"B{b + 1:02d}",
            name=f"第{b + 1}部",
            kind=OrgUnit.Kind.BUREAU,
            organ_kind=organ(b),
            sort_order=b,
        )
        for b in range(n_bureaus)
    )
    divisions = OrgUnit.objects.bulk_create(
        OrgUnit(
            municipality=m,
            parent=bureaus[d % n_bureaus],
            code=f"{bureaus[d % n_bureaus].code}-D{d + 1:03d}",
            name=f"{DIVISION_NAMES[d % len(DIVISION_NAMES)]}{d // len(DIVISION_NAMES) + 1}課",
            kind=OrgUnit.Kind.DIVISION,
            organ_kind=bureaus[d % n_bureaus].organ_kind,
            sort_order=d,
        )
        for d in range(n_divisions)
    )
    sections = OrgUnit.objects.bulk_create(
        OrgUnit(
            municipality=m,
            parent=divisions[s % n_divisions],
            code=f"{divisions[s % n_divisions].code}-S{s + 1:04d}",
            name=f"第{s // n_divisions + 1}係",
            kind=OrgUnit.Kind.SECTION,
            organ_kind=divisions[s % n_divisions].organ_kind,
            sort_order=s,
        )
        for s in range(n_sections)
    )
    return bureaus, divisions, sections


def _people(m: Any, count: int, units: Sequence[Any], rng: random.Random) -> list[Any]:
    from isms.core.calendar import fiscal_year_bounds, fiscal_year_of
    from isms.core.models import Person

    today = _today()
    fy_end = fiscal_year_bounds(fiscal_year_of(today))[1]
    categories = [c for share, c in STAFF_MIX for _ in range(share)]
    rows = []
    for i in range(count):
        family, family_kana = rng.choice(FAMILY_NAMES)
        given, given_kana = rng.choice(GIVEN_NAMES)
        category = rng.choice(categories)
        rows.append(
            Person(
                municipality=m,
                employee_number=f"{i + 1:06d}",
                family_name=family,
                given_name=given,
                family_name_kana=family_kana,
                given_name_kana=given_kana,
                staff_category=category,
                org_unit=units[i % len(units)],
                email=f"p{i + 1:06d}@{m.code}.bench.invalid",
                employment_end=fy_end if category == "fiscal_year_appointed" else None,
            )
        )
    # bulk_create skips Model.save(): compute what save() derives (search and sort keys).
    for person in rows:
        if hasattr(person, "refresh_keys"):
            person.refresh_keys()
    created: list[Any] = []
    for batch in _chunks(rows, JOURNAL_BATCH):
        created.extend(Person.objects.bulk_create(batch))
    return created


def _today() -> Any:
    from django.utils import timezone

    return timezone.localdate()


def _role_assignments(
    m: Any,
    people: Sequence[Any],
    bureaus: Sequence[Any],
    divisions: Sequence[Any],
    rng: random.Random,
) -> list[Any]:
    from isms.core.calendar import fiscal_year_bounds, fiscal_year_of
    from isms.core.models import RoleAssignment

    members: dict[int, list[Any]] = {}
    for p in people:
        unit = p.org_unit
        while unit is not None:
            members.setdefault(unit.pk, []).append(p)
            unit = unit.parent
    this_fy = fiscal_year_of(_today())
    rows = []
    for fy in range(this_fy - FISCAL_YEARS + 1, this_fy + 1):
        start, end = fiscal_year_bounds(fy)

        def row(
            person: Any, role: str, unit: Any, fy: int = fy, start: Any = start, end: Any = end
        ) -> Any:
            return RoleAssignment(
                municipality=m,
                person=person,
                role=role,
                org_unit=unit,
                fiscal_year=fy,
                start_date=start,
                end_date=end,
            )

        needed = sum(n for _, n in WIDE_ROLES)
        holders = iter(rng.sample(list(people), min(needed, len(people))))
        for role, n in WIDE_ROLES:
            for _ in range(n):
                person = next(holders, None) or rng.choice(people)
                rows.append(row(person, role, None))
        for b in bureaus:
            rows.append(row(rng.choice(members.get(b.pk) or people), "bureau_security_officer", b))
        for i, d in enumerate(divisions):
            staff = members.get(d.pk) or list(people)
            rows.append(row(rng.choice(staff), "division_security_manager", d))
            if i % 3 == 0:
                rows.append(row(rng.choice(staff), "system_manager", d))
                for p in rng.sample(staff, min(2, len(staff))):
                    rows.append(row(p, "system_staff", d))
    return RoleAssignment.objects.bulk_create(rows, batch_size=JOURNAL_BATCH)


def generate_one(spec: MunicipalitySpec, *, seed: int = 1) -> Generated:
    """Generate one municipality in one transaction (all or nothing), journaled."""
    from django.db import transaction

    from isms.core import journal, services
    from isms.core.models import JournalEntry

    rng = random.Random(f"{seed}:{spec.code}")
    with transaction.atomic():
        m = services.create_municipality(None, code=spec.code, name=spec.name)
        bureaus, divisions, sections = _org_units(m, spec.people)
        units = [*bureaus, *divisions, *sections]
        written = _journal_created(units, "org_unit.create", m.pk)
        # People sit in the 係 (and a few directly in a 課).
        seats = [*sections, *divisions[: max(1, len(divisions) // 10)]]
        people = _people(m, spec.people, seats, rng)
        written += _journal_created(people, "person.create", m.pk)
        assignments = _role_assignments(m, people, bureaus, divisions, rng)
        written += _journal_created(assignments, "role_assignment.create", m.pk)
        admin = services.create_user(
            None,
            username=f"admin-{spec.code}",
            password=None,
            municipality=m,
            is_municipality_admin=True,
        )
        ciso_person = next(
            a.person for a in reversed(assignments) if a.role == "ciso" and a.person.user_id is None
        )
        ciso = services.create_user(
            None, username=f"ciso-{spec.code}", password=None, municipality=m
        )
        services.link_login(None, ciso_person, ciso)
        counts = {
            "org_units": len(units),
            "people": len(people),
            "role_assignments": len(assignments),
        }
        journal.record_many(
            [
                journal.JournalItem(
                    action="benchmark.generate",
                    object_type="core.municipality",
                    object_id=str(m.pk),
                    object_label=str(m),
                    after=counts,
                )
            ],
            actor=None,
            municipality=m,
            system="bench",
        )
    return Generated(
        municipality_id=m.pk,
        code=m.code,
        name=m.name,
        people=len(people),
        org_units=len(units),
        role_assignments=len(assignments),
        journal_entries=JournalEntry.objects.filter(municipality=m).count(),
        admin_username=admin.username,
        ciso_username=ciso.username,
        division_ids=[d.pk for d in divisions],
    )


def generate(specs: Iterable[MunicipalitySpec], *, seed: int = 1) -> list[Generated]:
    """Generate every municipality of ``specs``, one transaction each."""
    return [generate_one(s, seed=seed) for s in specs]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--preset", choices=["prefecture"])
    group.add_argument("--sizes", help="comma-separated people per municipality, e.g. 100,1000")
    parser.add_argument("--municipalities", type=int, default=30, help="prefecture preset")
    parser.add_argument("--people", type=int, default=30_000, help="prefecture preset")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--append", action="store_true", help="allow a non-empty database")
    parser.add_argument("--json", help="write a summary here (for benchmarks.run)")
    args = parser.parse_args(argv)

    env.setup()
    from isms.core.models import JournalEntry, Municipality, OrgUnit, Person, RoleAssignment

    env.migrate()
    existing = Municipality.objects.count()
    if existing and not args.append:
        parser.error(f"the database already holds {existing} municipalities (use --append)")
    if args.preset:
        sizes = prefecture_sizes(args.municipalities, args.people)
    else:
        sizes = [int(s) for s in args.sizes.split(",")]
    started = time.perf_counter()
    made = generate(specs_for(sizes, first=existing), seed=args.seed)
    elapsed = time.perf_counter() - started
    summary = {
        "database": env.database_label(),
        "seconds": round(elapsed, 1),
        "municipalities": len(made),
        "people": Person.objects.count(),
        "org_units": OrgUnit.objects.count(),
        "role_assignments": RoleAssignment.objects.count(),
        "fiscal_years": FISCAL_YEARS,
        "journal_entries": JournalEntry.objects.count(),
        "sizes": sizes,
    }
    if not args.json:
        for g in made:
            logins = f"{g.admin_username}, {g.ciso_username}"
            print(
                f"{g.code} {g.name}: {g.people} people, {g.org_units} units, "
                f"{g.role_assignments} role assignments; logins {logins}"
            )
    env.write_json(args.json, summary)


if __name__ == "__main__":
    main()
