"""Import and export of the asset register (情報資産管理台帳): CSV (UTF-8 with or without BOM,
CP932) and Excel, with Japanese headers.

:data:`ASSET_COLUMNS` is the one map from Japanese header to field, read by the export, the
template and the import. The reading, the cell rules (full-width digits, 和暦 dates, はい/いいえ,
labels of choices), the size, merged-cell and formula guards, the error report by row and column
and the all-or-nothing transaction are ``core.io``'s. What the register adds:

- rows are keyed by 管理番号 (created or updated); a row exactly as registered is "unchanged",
  so export → import changes nothing;
- 所管課コード must name a unit the importing user may edit (a 課's manager imports the assets of
  the units they hold, not others'), and an existing asset must be one they may edit;
- 管理者職員番号 names the custodian (a person of the municipality);
- the classes are the register's scheme's (``2``, ``機密性2``, ``3A``), checked by the services;
- ``ホスト名/IPアドレス`` holds every host of the asset in one cell: entries separated by ``;``
  (or a line break, ``、``), each a host name, an address or range, or both separated by a space
  (``srv-01 192.0.2.7; 192.0.2.0/24``); the import makes the asset's hosts exactly these.

Every row is checked by the services' own validation (``services.validate``, with the
register's scheme read once). A changed asset is then
saved as ``update_asset`` saves it, its hosts through ``add_host``/``remove_host``; new assets
are inserted a chunk (500) at a time with their hosts, and their journal entries written with
``journal.record_many``, which is what lets 50,000 rows import in reasonable time (see
docs/benchmarks.md). All in one transaction, journaled with ``journal.deferred``. The
consistency warnings a single save returns are not computed per row (they would re-read the
unit's assets for every row); the consistency report shows them.

>>> split_hosts("srv-01 １９２.０.２.７; 10.0.0.0/24")
[('srv-01', '192.0.2.7'), ('', '10.0.0.0/24')]
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from isms.core import io_jobs, journal
from isms.core.io import (
    CHUNK_ROWS,
    MAX_ROWS,
    Column,
    ImportIssue,
    ImportRejected,
    ImportResult,
    Progress,
    _chunks,
    _column,
    _open,
    _Parsed,
    _Parser,
    _run,
    _unknown_unit,
)
from isms.core.io import _cell as core_cell
from isms.core.models import ImportJob, Municipality, OrgUnit, Person, User
from isms.core.permissions import Action, require

from . import services
from .common import register_settings
from .hosts import normalise_host_name, parse_network, range_bounds
from .models import AssetHost, InformationAsset, asset_search_key
from .visibility import can_edit_unit, edit_capacity

__all__ = [
    "ASSET_COLUMNS",
    "MAX_BYTES",
    "asset_rows",
    "filter_assets",
    "import_assets",
    "join_hosts",
    "split_hosts",
]

# An asset file is wider than a staff file: 50,000 rows of ~30 columns pass 5 MB.
MAX_BYTES = 16 * 1024 * 1024

K = InformationAsset
ASSET_COLUMNS = (
    Column("管理番号", "asset_number", "code", required=True),
    Column("資産名", "name", "text", required=True),
    Column("種別", "kind", "choice", required=True, choices=K.Kind),
    Column("所管課コード", "owning_unit", "unit", required=True, default=None),
    Column("管理者職員番号", "custodian", "code", default=None),
    Column("保管場所", "storage_location", "text"),
    Column("セグメント", "segment", "choice", choices=K.Segment),
    Column("設置形態", "hosting", "choice", choices=K.Hosting, default=K.Hosting.ON_PREMISES),
    Column("クラウドサービス名", "cloud_service_name", "text"),
    Column("機密性", "confidentiality", "code"),
    Column("完全性", "integrity", "code"),
    Column("可用性", "availability", "code"),
    Column("個人情報", "holds_personal_info", "bool", default=False),
    Column("特定個人情報", "holds_specific_personal_info", "bool", default=False),
    Column("要配慮個人情報", "holds_sensitive_personal_info", "bool", default=False),
    Column("秘密文書", "classified_document", "bool", default=False),
    Column("人数", "number_of_persons", "int", default=None),
    Column("保存期間", "retention_period", "text"),
    Column("状態", "status", "choice", choices=K.Status, default=K.Status.IN_USE),
    Column("ホスト名/IPアドレス", "hosts", "text"),
    Column("利用場所", "scope_facility", "choice", choices=K.Facility, default=K.Facility.OTHER),
    Column(
        "利用目的", "scope_purpose", "choice", choices=K.Purpose, default=K.Purpose.ADMINISTRATION
    ),
    Column("適用範囲", "in_scope", "bool", default=True),
    Column("適用範囲外の理由", "out_of_scope_reason", "text"),
    Column("都留文科大学の利用", "used_by_university", "bool", default=False),
    Column("市の所有", "city_owned", "bool", default=True),
    Column("バックアップ", "has_backup", "bool", default=False),
    Column("目標復旧時間", "recovery_time", "text"),
    Column("バックアップの方法・場所", "backup_note", "text"),
    Column("説明", "description", "text"),
)
# Short names people type besides the values and the full labels (English and Japanese).
CHOICE_ALIASES = {
    "kind": {
        "情報": K.Kind.INFORMATION,
        "文書": K.Kind.INFORMATION,
        "システム関連文書": K.Kind.SYSTEM_DOCUMENT,
        "ネットワーク": K.Kind.SYSTEM_EQUIPMENT,
        "情報システム": K.Kind.SYSTEM_EQUIPMENT,
        "システム": K.Kind.SYSTEM_EQUIPMENT,
        "機器": K.Kind.SYSTEM_EQUIPMENT,
        "設備": K.Kind.SYSTEM_EQUIPMENT,
        "記録媒体": K.Kind.SYSTEM_EQUIPMENT,
        "電磁的記録媒体": K.Kind.SYSTEM_EQUIPMENT,
    },
    "segment": {
        "マイナンバー": K.Segment.MYNUMBER,
        "マイナンバー系": K.Segment.MYNUMBER,
        "lgwan": K.Segment.LGWAN,
        "lgwan接続系": K.Segment.LGWAN,
        "インターネット": K.Segment.INTERNET,
        "インターネット接続系": K.Segment.INTERNET,
        "スタンドアロン": K.Segment.STANDALONE,
    },
    "hosting": {"オンプレミス": K.Hosting.ON_PREMISES, "クラウド": K.Hosting.CLOUD},
}
_CLASS_FIELDS = ("confidentiality", "integrity", "availability")
_CLASS_PREFIXES = ("機密性", "完全性", "可用性", "自治体機密性")
_HOST_SEPARATORS = re.compile(r"[;；、\n\r]+")

# --- hosts in one cell --------------------------------------------------------------------


def split_hosts(text: str) -> list[tuple[str, str]]:
    """Return the (host name, network) pairs of a cell; raise ``ValidationError`` keyed
    ``hosts`` on the first word that is neither a host name nor an address (it is named)."""
    pairs: list[tuple[str, str]] = []
    for entry in _HOST_SEPARATORS.split(text or ""):
        host, network = "", ""
        for word in unicodedata.normalize("NFKC", entry).split():
            if _ADDRESS_LIKE.fullmatch(word):
                if network:
                    raise _two(entry)
                network = str(_hosts_field(parse_network, word))
            else:
                if host:
                    raise _two(entry)
                host = _hosts_field(normalise_host_name, word)
        if (host or network) and (host, network) not in pairs:
            pairs.append((host, network))
    return pairs


# Digits, dots, slashes and colons (IPv6: hex digits too) only: meant as an address.
_ADDRESS_LIKE = re.compile(r"[0-9.]+(/[0-9]+)?|[0-9a-fA-F:]*:[0-9a-fA-F:.]*(/[0-9]+)?")


def _hosts_field(parse: Any, word: str) -> Any:
    try:
        return parse(word)
    except ValidationError as exc:
        messages = [m for ms in exc.message_dict.values() for m in ms]
        raise ValidationError({"hosts": messages}) from None


def _two(entry: str) -> ValidationError:
    return ValidationError(
        {
            "hosts": _(
                "“%(value)s” names two host names or two addresses: give each entry at most "
                "one of each."
            )
            % {"value": entry.strip()[:60]}
        }
    )


def join_hosts(hosts: Iterable[AssetHost]) -> str:
    """Return the hosts of an asset as one cell (the form :func:`split_hosts` reads)."""
    return "; ".join(" ".join(p for p in (h.host_name, h.network) if p) for h in hosts)


# --- export -------------------------------------------------------------------------------


def filter_assets(qs: QuerySet[InformationAsset], params: Any) -> QuerySet[InformationAsset]:
    """Narrow ``qs`` by the list page's filters (its GET parameters, or a dict): ``unit``,
    ``confidentiality`` (a class, or ``none``: unclassified), ``segment``, ``kind``,
    ``status``, ``pending`` and ``q`` (a folded substring of name, number and place), as
    ``views._filtered`` reads them. Unknown values match nothing; blanks are ignored."""
    from isms.core.kana import fold

    def value(name: str) -> str:
        raw = params.get(name) if params is not None else None
        return str(raw).strip()[:100] if raw not in (None, "") else ""

    unit = value("unit") or value("unit_id")
    if unit:
        qs = qs.filter(owning_unit_id=int(unit)) if unit.isdigit() else qs.none()
    confidentiality = value("confidentiality")
    if confidentiality:
        qs = qs.filter(confidentiality="" if confidentiality == "none" else confidentiality)
    for name in ("segment", "kind", "status"):
        if value(name):
            qs = qs.filter(**{name: value(name)})
    if value("pending") in ("on", "true", "1"):
        qs = qs.filter(migration_pending=True)
    folded = fold(value("q"))
    if folded:
        qs = qs.filter(search_key__contains=folded)
    return qs


def _export_queryset(qs: QuerySet[InformationAsset]) -> QuerySet[InformationAsset]:
    return (
        qs.select_related("owning_unit", "custodian")
        .prefetch_related(Prefetch("hosts", queryset=AssetHost.objects.order_by("pk")))
        .order_by("municipality_id", "asset_number", "pk")
    )


def asset_rows(assets: Iterable[InformationAsset]) -> Iterator[list[str]]:
    """Yield the export rows of ``assets`` (units, custodians and hosts prefetched)."""
    if isinstance(assets, QuerySet):
        assets = _export_queryset(assets).iterator(chunk_size=1000)
    for asset in assets:
        row = []
        for c in ASSET_COLUMNS:
            if c.field == "owning_unit":
                row.append(asset.owning_unit.code)
            elif c.field == "custodian":
                row.append(asset.custodian.employee_number if asset.custodian else "")
            elif c.field == "hosts":
                row.append(join_hosts(asset.hosts.all()))
            elif c.kind == "choice" and not getattr(asset, c.field):
                row.append("")
            else:
                row.append(core_cell(c, getattr(asset, c.field)))
        yield row


# --- import -------------------------------------------------------------------------------


def _parser(*, unique: bool) -> _Parser:
    parser = _Parser(ASSET_COLUMNS, unique=unique)
    for name, aliases in CHOICE_ALIASES.items():
        for alias, value in aliases.items():
            parser.choice_maps[name].setdefault(alias.casefold(), str(value))
    return parser


def _class_value(text: str) -> str:
    value = unicodedata.normalize("NFKC", text or "").strip().upper()
    for prefix in _CLASS_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :].strip()
    return value


class _Context:
    """What the rows are checked against: the units, and whom the user may edit for."""

    def __init__(self, actor: User, municipality: Municipality) -> None:
        self.actor = actor
        self.municipality = municipality
        self.units = {u.code: u for u in OrgUnit.objects.filter(municipality=municipality)}
        self.editable: dict[int, bool] = {}
        self.labels: dict[int, str] = {}

    def capacity_label(self, unit_id: int) -> str:
        """The journal's ``on_behalf_of`` for edits of the unit's assets (a deputy's holder)."""
        if unit_id not in self.labels:
            self.labels[unit_id] = edit_capacity(self.actor, self.municipality.pk, unit_id).label
        return self.labels[unit_id]

    def may_edit(self, unit_id: int) -> bool:
        if unit_id not in self.editable:
            self.editable[unit_id] = can_edit_unit(self.actor, self.municipality.pk, unit_id)
        return self.editable[unit_id]


def _header(name: str) -> str:
    return _column(ASSET_COLUMNS, name).header


def _check_row(p: _Parsed, ctx: _Context, issues: list[ImportIssue]) -> None:
    """Resolve the unit, the classes and the hosts of a parsed row; add its problems."""
    number = p.row.number
    code = p.unit_codes.get("owning_unit")
    if code:
        unit = ctx.units.get(code)
        if unit is None:
            issues.append(_unknown_unit(p.row, _column(ASSET_COLUMNS, "owning_unit")))
        elif not ctx.may_edit(unit.pk):
            issues.append(
                ImportIssue(
                    number,
                    _header("owning_unit"),
                    _("You may not register or change the assets of this unit."),
                    _("Import only the assets of the units you manage, or ask their manager."),
                )
            )
        else:
            p.data["owning_unit"] = unit
    for name in _CLASS_FIELDS:
        if name in p.data:
            p.data[name] = _class_value(p.data[name])
    if "hosts" in p.data:
        try:
            p.data["hosts"] = split_hosts(p.data["hosts"])
        except ValidationError as exc:
            issues.append(
                ImportIssue(
                    number,
                    _header("hosts"),
                    " ".join(exc.message_dict["hosts"]),
                    _(
                        "Write host names and addresses such as “srv-01 192.0.2.7; "
                        "192.0.2.0/24”, entries separated by semicolons."
                    ),
                )
            )


def _people(municipality: Municipality, numbers: Iterable[str]) -> dict[str, Person]:
    return {
        p.employee_number: p
        for p in Person.objects.filter(municipality=municipality, employee_number__in=numbers)
    }


def _same(asset: InformationAsset, data: dict[str, Any], hosts: list[tuple[str, str]]) -> bool:
    for name, value in data.items():
        if name in ("owning_unit", "custodian"):
            if getattr(asset, f"{name}_id") != (value.pk if value else None):
                return False
        elif getattr(asset, name) != value:
            return False
    return hosts == _host_pairs(asset)


def _host_pairs(asset: InformationAsset) -> list[tuple[str, str]]:
    return sorted((h.host_name, h.network) for h in asset.hosts.all())


def _validate(
    asset: InformationAsset,
    data: dict[str, Any],
    scheme: str,
    before_classes: tuple[str, str, str, str] | None,
) -> None:
    """``services.validate`` for a row, with the register's scheme read once per import and the
    asset number's uniqueness already settled (the file's numbers are unique; a registered one
    is an update)."""
    services.apply_fields(asset, data)
    services.validate(
        asset,
        before_classes=before_classes,
        explicit_in_scope="in_scope" in data,
        scheme=scheme,
        check_number=False,
    )


def _update(
    actor: User, asset: InformationAsset, data: dict[str, Any], scheme: str, label: str
) -> InformationAsset:
    """``services.update_asset`` without the per-asset consistency warnings."""
    before = services.asset_snapshot(asset)
    before_classes = (asset.scheme, asset.confidentiality, asset.integrity, asset.availability)
    _validate(asset, data, scheme, before_classes)
    services.save_asset(asset)
    journal.record(
        actor=actor,
        action="asset.update",
        obj=asset,
        before=before,
        after=services.asset_snapshot(asset),
        on_behalf_of=label,
    )
    return asset


def _sync_hosts(actor: User, asset: InformationAsset, wanted: list[tuple[str, str]]) -> None:
    current = {(h.host_name, h.network): h for h in asset.hosts.all()}
    for pair, host in current.items():
        if pair not in wanted:
            services.remove_host(actor, host)
    for host_name, network in wanted:
        if (host_name, network) not in current:
            services.add_host(actor, asset, host_name=host_name, network=network)


class _NewAssets:
    """New assets of a chunk, checked one by one, then inserted together with their hosts and
    journal entries (``bulk_create`` and ``journal.record_many``): one insert per chunk instead
    of a save per row."""

    def __init__(self, actor: User, municipality: Municipality) -> None:
        self.actor = actor
        self.municipality = municipality
        self.rows: list[tuple[InformationAsset, list[tuple[str, str]], str]] = []

    def add(self, asset: InformationAsset, hosts: list[tuple[str, str]], label: str) -> None:
        asset.search_key = asset_search_key(asset.name, asset.asset_number, asset.storage_location)
        self.rows.append((asset, hosts, label))

    def flush(self) -> None:
        if not self.rows:
            return
        assets = [a for a, _hosts, _label in self.rows]
        try:
            with transaction.atomic():
                InformationAsset.objects.bulk_create(assets, batch_size=CHUNK_ROWS)
        except IntegrityError as exc:  # a number registered meanwhile by someone else
            raise ImportRejected(
                [
                    ImportIssue(
                        None,
                        _header("asset_number"),
                        _("Another user registered some of these asset numbers meanwhile."),
                        _("Export the register again and import the file once more."),
                    )
                ]
            ) from exc
        hosts: list[AssetHost] = []
        items: list[journal.JournalItem] = []
        label_of = InformationAsset._meta.label_lower
        for asset, pairs, label in self.rows:
            items.append(
                journal.JournalItem(
                    action="asset.create",
                    object_type=label_of,
                    object_id=str(asset.pk),
                    object_label=str(asset),
                    after=services.asset_snapshot(asset),
                    on_behalf_of=label,
                )
            )
            for host_name, network in pairs:
                host = AssetHost(
                    municipality_id=asset.municipality_id,
                    asset=asset,
                    host_name=host_name,
                    network=network,
                )
                if network:
                    host.ip_version, host.range_start, host.range_end = range_bounds(
                        parse_network(network)
                    )
                hosts.append(host)
        AssetHost.objects.bulk_create(hosts, batch_size=CHUNK_ROWS)
        items += [
            journal.JournalItem(
                action="asset.host_add",
                object_type=AssetHost._meta.label_lower,
                object_id=str(h.pk),
                object_label=str(h),
                after={"asset": h.asset_id, "host_name": h.host_name, "network": h.network},
            )
            for h in hosts
        ]
        journal.record_many(items, actor=self.actor, municipality=self.municipality)
        self.rows = []


def import_assets(
    actor: User,
    municipality: Municipality,
    data: bytes,
    filename: str,
    *,
    progress: Progress | None = None,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
) -> ImportResult:
    """Register or update the assets of a file, keyed by 管理番号; all or nothing.

    The rows are read twice, one at a time (check, then save); existing assets, custodians and
    hosts are looked up a chunk at a time.
    """
    require(actor, Action.MANAGE_ASSETS, municipality=municipality)
    columns = ASSET_COLUMNS
    source = _open(data, filename, columns, max_bytes=max_bytes, max_rows=max_rows)
    ctx = _Context(actor, municipality)
    issues: list[ImportIssue] = []
    parser = _parser(unique=True)
    parsed = (parser.parse(row, issues) for row in source.rows())
    total = 0
    for chunk in _chunks(p for p in parsed if p is not None):
        total += len(chunk)
        for p in chunk:
            _check_row(p, ctx, issues)
        _check_chunk(chunk, ctx, issues)
    del parser
    if issues:
        raise ImportRejected(issues)

    def items() -> Iterator[tuple[_Parsed, InformationAsset | None]]:
        again = _parser(unique=False)
        parsed = (again.parse(row, issues) for row in source.rows())
        for chunk in _chunks(p for p in parsed if p is not None):
            for p in chunk:
                _check_row(p, ctx, issues)
            people = _people(municipality, {p.data.get("custodian") for p in chunk} - {None, ""})
            existing = {
                a.asset_number: a
                for a in InformationAsset.objects.select_for_update()
                .filter(
                    municipality=municipality,
                    asset_number__in=[p.data["asset_number"] for p in chunk],
                )
                .prefetch_related("hosts")
            }
            for p in chunk:
                if "custodian" in p.data:
                    p.data["custodian"] = people.get(p.data["custodian"])
                yield p, existing.get(p.data["asset_number"])
            new.flush()

    scheme = register_settings(municipality).scheme
    new = _NewAssets(actor, municipality)

    def save(item: tuple[_Parsed, InformationAsset | None]) -> str:
        p, asset = item
        values = dict(p.data)
        hosts = values.pop("hosts", None)
        wanted = sorted(hosts) if hosts is not None else None
        if asset is None:
            asset = InformationAsset(municipality=municipality)
            _validate(asset, values, scheme, None)
            new.add(asset, wanted or [], ctx.capacity_label(asset.owning_unit_id))
            return "created"
        if _same(asset, values, wanted if wanted is not None else _host_pairs(asset)):
            return "unchanged"
        _update(actor, asset, values, scheme, ctx.capacity_label(asset.owning_unit_id))
        if wanted is not None:
            try:
                _sync_hosts(actor, asset, wanted)
            except ValidationError as exc:
                raise ValidationError({"hosts": exc.messages}) from exc
        return "updated"

    return _run(
        actor,
        municipality,
        kind="asset",
        filename=filename,
        items=items(),
        columns=columns,
        issues=issues,
        save=save,
        total=total,
        progress=progress,
    )


def _check_chunk(chunk: list[_Parsed], ctx: _Context, issues: list[ImportIssue]) -> None:
    """Custodians that exist, and existing assets the user may edit (one query each)."""
    numbers = {p.data.get("custodian") for p in chunk} - {None, ""}
    people = set(_people(ctx.municipality, numbers)) if numbers else set()
    existing = dict(
        InformationAsset.objects.filter(
            municipality=ctx.municipality,
            asset_number__in=[p.data["asset_number"] for p in chunk],
        ).values_list("asset_number", "owning_unit_id")
    )
    for p in chunk:
        custodian = p.data.get("custodian")
        if custodian and custodian not in people:
            issues.append(
                ImportIssue(
                    p.row.number,
                    _header("custodian"),
                    _("No person of this municipality has this employee number."),
                    _("Enter an employee number from the staff list, or leave it empty."),
                )
            )
        unit_id = existing.get(p.data["asset_number"])
        if unit_id is not None and not ctx.may_edit(unit_id):
            issues.append(
                ImportIssue(
                    p.row.number,
                    _header("asset_number"),
                    _("This asset belongs to a unit whose assets you may not change."),
                    _("Delete this row, or ask the manager of the asset's unit to import it."),
                )
            )


io_jobs.register(ImportJob.Kind.ASSET, import_assets, Action.MANAGE_ASSETS)
