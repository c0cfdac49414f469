"""The journal: a tamper-evident, hash-chained record of every change made through a service.

Every service calls :func:`record` inside its own ``transaction.atomic()`` block, after the
change, so the entry commits or rolls back with it::

    with transaction.atomic():
        before = journal.snapshot(unit)
        unit.save()
        journal.record(actor=user, action="org_unit.update", obj=unit, before=before,
                       after=journal.snapshot(unit))

**Chains and concurrency.** Each municipality has its own chain (and the platform one more):
the writer locks that chain's ``JournalHead`` row with ``SELECT … FOR UPDATE``, computes the
next entry's hash from the head, inserts the entry and moves the head. The lock is taken as the
last step of the service's transaction and held only until its commit, so writers of the same
municipality queue for a few milliseconds while writers of different municipalities never meet.
On SQLite the database itself already admits one writer at a time. Bulk writers call
:func:`record_many`, which takes the lock once and inserts all entries in one statement. A
long transaction that calls services row by row (an import) wraps them in :func:`deferred`:
their entries are kept (the first thousand in memory, the rest in a temporary file) and written
at the end of the block, so the head is locked for the last moment only and never before the
rows the services lock (no lock-order deadlock).

**Deputies.** An entry made by a deputy (代理・代決) names, in ``on_behalf_of``, the person and
role they acted for; the field is part of the hash.

**Verification.** :func:`verify` recomputes every chain: a row edited in the database changes its
hash; a row deleted or inserted breaks the sequence or the link to the previous hash; a deleted
tail no longer matches the head. Only an attacker who rewrites the whole chain *and* its head
goes unnoticed, which is why ``isms journal verify`` prints the head hashes to be kept elsewhere.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime
import hashlib
import json
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from .models import JournalEntry, JournalHead, Municipality, User

PLATFORM_CHAIN = "platform"
# Where ``permissions.require`` leaves the capacity a user acts in (own right, or deputy), so
# that every entry of a deputy names the absent holder without each service passing it.
CAPACITY_ATTR = "_isms_capacity"
# Entries inserted per statement; a long deferred batch is written in these steps.
WRITE_BATCH = 500
# Deferred entries kept in memory; more go to a temporary file until the block ends.
SPOOL_IN_MEMORY = 1000
GENESIS_HASH = "0" * 64


def chain_for(municipality_id: int | None) -> str:
    """Return the name of the chain that entries of this municipality go to."""
    return PLATFORM_CHAIN if municipality_id is None else f"m{municipality_id}"


def _jsonable(value: Any) -> Any:
    """Return ``value`` as plain JSON data, exactly as it reads back from a JSON column."""
    if value is None:
        return None
    if isinstance(value, _Encoded):
        return json.loads(value)
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def snapshot(obj: models.Model, *, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """Return the field values of ``obj`` as JSON data, for ``before``/``after``."""
    data = model_to_dict(obj, exclude=list(exclude))
    data["id"] = obj.pk
    for f in obj._meta.concrete_fields:
        # model_to_dict skips non-editable fields; the journal wants them too (except secrets).
        if f.name not in data and f.name not in exclude:
            data[f.name] = f.value_from_object(obj)
    return _jsonable({k: _plain(v) for k, v in data.items()})


def _plain(value: Any) -> Any:
    """A record as its key; a many-to-many value (a list of records) as its sorted keys."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set) and any(isinstance(v, models.Model) for v in value):
        return sorted(v.pk if isinstance(v, models.Model) else v for v in value)
    return value


@dataclass(frozen=True, kw_only=True)
class JournalItem:
    """One entry to write with :func:`record_many`."""

    action: str
    object_type: str
    object_id: str = ""
    object_label: str = ""
    before: Any = None
    after: Any = None
    kind: str = JournalEntry.Kind.CHANGE
    on_behalf_of: str = ""


def _canonical(e: JournalEntry) -> bytes:
    payload = {
        "chain": e.chain,
        "seq": e.seq,
        "municipality": e.municipality_id,
        "kind": e.kind,
        "at": e.at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
        "actor": e.actor_id,
        "actor_label": e.actor_label,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "object_label": e.object_label,
        "before": e.before,
        "after": e.after,
        "prev_hash": e.prev_hash,
    }
    if e.on_behalf_of:  # absent from entries written before deputies existed: their hashes hold
        payload["on_behalf_of"] = e.on_behalf_of
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def compute_hash(entry: JournalEntry) -> str:
    """Return the SHA-256 of an entry's canonical form (which includes the previous hash)."""
    return hashlib.sha256(_canonical(entry)).hexdigest()


def _actor_label(actor: User | None, system: str | None) -> str:
    if actor is not None:
        return actor.get_username()
    return f"system:{system or 'isms'}"


def _lock_head(chain: str) -> JournalHead:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("journal entries must be written inside the service's transaction")
    head = JournalHead.objects.select_for_update().filter(chain=chain).first()
    if head is None:  # only the first entry of a chain; the service creating it makes the head
        JournalHead.objects.get_or_create(chain=chain)
        head = JournalHead.objects.select_for_update().get(chain=chain)
    return head


class _Encoded(str):
    """``before``/``after`` kept as compact JSON text while deferred (a fraction of the memory
    of the dicts: an import of 50,000 rows holds one entry per row until its end)."""


def _encoded(item: JournalItem) -> JournalItem:
    def enc(value: Any) -> Any:
        if value is None or isinstance(value, _Encoded):
            return value
        text = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
        return _Encoded(text)

    return dataclasses.replace(item, before=enc(item.before), after=enc(item.after))


class _Spool:
    """Deferred entries in order: the first :data:`SPOOL_IN_MEMORY` in memory, the rest in an
    anonymous temporary file, one JSON line each, so that an import of any length holds a
    bounded number of entries (its ``before``/``after`` are already compact JSON)."""

    def __init__(self) -> None:
        self.memory: list[JournalItem] = []
        self.file: IO[bytes] | None = None
        self.spilled = 0

    def extend(self, items: Iterable[JournalItem]) -> None:
        self.memory.extend(items)
        if len(self.memory) >= SPOOL_IN_MEMORY:
            if self.file is None:
                # Closed by close(), when the deferred block ends.
                self.file = tempfile.TemporaryFile()  # noqa: SIM115
            self.file.writelines(_spool_line(i) for i in self.memory)
            self.spilled += len(self.memory)
            self.memory = []

    def __iter__(self) -> Iterator[JournalItem]:
        if self.file is not None:
            self.file.seek(0)
            for _n, line in zip(range(self.spilled), self.file, strict=False):
                yield _unspool(line)
        yield from self.memory

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


_SPOOLED = ("action", "object_type", "object_id", "object_label", "kind", "on_behalf_of")


def _spool_line(item: JournalItem) -> bytes:
    values = [getattr(item, name) for name in _SPOOLED] + [item.before, item.after]
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def _unspool(line: bytes) -> JournalItem:
    *values, before, after = json.loads(line)
    return JournalItem(
        **dict(zip(_SPOOLED, values, strict=True)),
        before=None if before is None else _Encoded(before),
        after=None if after is None else _Encoded(after),
    )


@dataclass
class _Pending:
    actor: User | None
    municipality_id: int | None
    system: str | None
    items: _Spool


_pending: contextvars.ContextVar[list[_Pending] | None] = contextvars.ContextVar(
    "isms_journal_pending", default=None
)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Keep the entries recorded inside the block and write them, in order, when it ends.

    Use it inside the caller's ``transaction.atomic()``: an exception in the block discards the
    entries along with the rolled-back changes. Nested use joins the outer block.
    """
    if _pending.get() is not None:
        yield
        return
    buffer: list[_Pending] = []
    token = _pending.set(buffer)
    try:
        try:
            yield
        finally:
            _pending.reset(token)
        for group in buffer:
            _write(group.items, group.actor, group.municipality_id, group.system, keep=False)
    finally:
        for group in buffer:
            group.items.close()


def record_many(
    items: Iterable[JournalItem],
    *,
    actor: User | None,
    municipality: Municipality | int | None,
    system: str | None = None,
) -> list[JournalEntry]:
    """Append several entries to one municipality's chain under one lock (bulk imports).

    An entry without ``on_behalf_of`` takes the capacity ``permissions.require`` last found for
    ``actor`` (a deputy's entries name the absent holder). Inside :func:`deferred`, the entries
    are kept for the end of the block and an empty list is returned.
    """
    municipality_id = municipality.pk if isinstance(municipality, Municipality) else municipality
    deputy_for = getattr(actor.__dict__.get(CAPACITY_ATTR), "label", "") if actor else ""
    if deputy_for:
        items = [
            i if i.on_behalf_of else dataclasses.replace(i, on_behalf_of=deputy_for) for i in items
        ]
    pending = _pending.get()
    if pending is None:
        return _write(items, actor, municipality_id, system, keep=True)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("journal entries must be written inside the service's transaction")
    encoded = [_encoded(i) for i in items]
    last = pending[-1] if pending else None
    if last is not None and (last.actor, last.municipality_id, last.system) == (
        actor,
        municipality_id,
        system,
    ):
        last.items.extend(encoded)  # consecutive entries of one writer: one lock at the end
    else:
        spool = _Spool()
        spool.extend(encoded)
        pending.append(_Pending(actor, municipality_id, system, spool))
    return []


def _write(
    items: Iterable[JournalItem],
    actor: User | None,
    municipality_id: int | None,
    system: str | None,
    *,
    keep: bool,
) -> list[JournalEntry]:
    """Lock the chain's head, then insert the entries in batches; return them if ``keep``."""
    chain = chain_for(municipality_id)
    head = _lock_head(chain)
    now = timezone.now()
    label = _actor_label(actor, system)
    kept: list[JournalEntry] = []
    batch: list[JournalEntry] = []
    seq, prev = head.last_seq, head.last_hash or GENESIS_HASH
    for item in items:
        seq += 1
        entry = JournalEntry(
            chain=chain,
            seq=seq,
            municipality_id=municipality_id,
            kind=item.kind,
            at=now,
            actor=actor,
            actor_label=label[:150],
            action=item.action,
            object_type=item.object_type,
            object_id=str(item.object_id)[:64],
            object_label=str(item.object_label)[:200],
            before=_jsonable(item.before),
            after=_jsonable(item.after),
            on_behalf_of=item.on_behalf_of[:200],
            prev_hash=prev,
        )
        entry.hash = compute_hash(entry)
        prev = entry.hash
        batch.append(entry)
        if len(batch) == WRITE_BATCH:
            JournalEntry.objects.bulk_create(batch)
            kept += batch if keep else []
            batch = []
    if batch:
        JournalEntry.objects.bulk_create(batch)
        kept += batch if keep else []
    if seq == head.last_seq:
        return []
    head.last_seq, head.last_hash = seq, prev
    head.save(update_fields=["last_seq", "last_hash"])
    return kept


def _describe(obj: models.Model | None) -> tuple[str, str, str]:
    if obj is None:
        return "", "", ""
    return obj._meta.label_lower, str(obj.pk), str(obj)


def record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    municipality: Municipality | int | None = None,
    before: Any = None,
    after: Any = None,
    system: str | None = None,
    object_type: str | None = None,
    on_behalf_of: str = "",
) -> JournalEntry | None:
    """Append one change to the journal, inside the caller's transaction.

    ``municipality`` defaults to ``obj.municipality``; ``actor`` is None for work done by the
    system (a task, a migration), named by ``system``; ``on_behalf_of`` names the person and
    role a deputy acted for. Returns None inside :func:`deferred` (the entry is written later).
    """
    if municipality is None and obj is not None:
        municipality = getattr(obj, "municipality_id", None)
    otype, oid, olabel = _describe(obj)
    item = JournalItem(
        action=action,
        object_type=object_type or otype,
        object_id=oid,
        object_label=olabel,
        before=before,
        after=after,
        on_behalf_of=on_behalf_of,
    )
    written = record_many([item], actor=actor, municipality=municipality, system=system)
    return written[0] if written else None


def record_read(
    *,
    actor: User | None,
    obj: models.Model,
    action: str = "read",
    reason: str = "",
    municipality: int | None = None,
) -> JournalEntry | None:
    """Record that ``actor`` read non-public material (実施手順, 機密性3, quarantined mail).

    The entry goes to the chain of ``municipality`` (default: ``obj.municipality_id``; pass it
    for records that reach their municipality through a parent, like audit evidence)."""
    with transaction.atomic():
        otype, oid, olabel = _describe(obj)
        item = JournalItem(
            action=action,
            object_type=otype,
            object_id=oid,
            object_label=olabel,
            after={"reason": reason} if reason else None,
            kind=JournalEntry.Kind.READ,
        )
        if municipality is None:
            municipality = getattr(obj, "municipality_id", None)
        written = record_many([item], actor=actor, municipality=municipality)
        return written[0] if written else None


@dataclass(frozen=True)
class Break:
    """The first place a chain is broken."""

    chain: str
    seq: int
    entry_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"entry id={self.entry_id}" if self.entry_id is not None else "head"
        return f"chain {self.chain}, seq {self.seq} ({where}): {self.reason}"


@dataclass
class VerifyReport:
    """What :func:`verify` found: entries checked, heads, and the first break of each chain."""

    checked: int = 0
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)
    breaks: list[Break] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks


def _verify_chain(chain: str, head: JournalHead | None, report: VerifyReport) -> None:
    expected_seq, prev = 1, GENESIS_HASH
    entries = JournalEntry.objects.filter(chain=chain)
    if head is not None:
        # Check up to the head read at the start: entries written since (with their head, in
        # one transaction) belong to the next run, not to a false "tail deleted" alarm.
        entries = entries.filter(seq__lte=head.last_seq)
    rows: Iterator[JournalEntry] = entries.order_by("seq").iterator(chunk_size=2000)
    for entry in rows:
        report.checked += 1
        if entry.seq != expected_seq:
            what = "missing (deleted)" if entry.seq > expected_seq else "duplicated (inserted)"
            report.breaks.append(
                Break(chain, expected_seq, entry.pk, f"entry seq {expected_seq} is {what}")
            )
            return
        if entry.prev_hash != prev:
            report.breaks.append(
                Break(chain, entry.seq, entry.pk, "link to the previous entry does not match")
            )
            return
        if compute_hash(entry) != entry.hash:
            report.breaks.append(
                Break(chain, entry.seq, entry.pk, "content does not match its hash (edited)")
            )
            return
        prev = entry.hash
        expected_seq += 1
    last_seq = expected_seq - 1
    if head is not None and _appended_behind_the_head(chain, head):
        report.breaks.append(
            Break(chain, head.last_seq + 1, None, "entries after the head (inserted at the end)")
        )
        return
    if head is None:
        report.breaks.append(Break(chain, last_seq, None, "the chain has entries but no head"))
    elif (head.last_seq, head.last_hash or GENESIS_HASH) != (last_seq, prev):
        report.breaks.append(
            Break(
                chain,
                head.last_seq,
                None,
                f"the head says seq {head.last_seq} but the chain ends at seq {last_seq} "
                "(entries deleted from the end, or the head edited)",
            )
        )
    else:
        report.heads[chain] = (last_seq, prev)


def _appended_behind_the_head(chain: str, head: JournalHead) -> bool:
    """True when entries lie past the head and the head has not moved: not a concurrent write
    (which moves the head in the same transaction) but rows added behind its back."""
    if not JournalEntry.objects.filter(chain=chain, seq__gt=head.last_seq).exists():
        return False
    now = JournalHead.objects.filter(chain=chain).values_list("last_seq", flat=True).first()
    return now is None or now <= head.last_seq


def verify() -> VerifyReport:
    """Recompute every chain and report the first broken entry of each."""
    report = VerifyReport()
    heads = {h.chain: h for h in JournalHead.objects.all()}
    chains = set(heads) | set(JournalEntry.objects.values_list("chain", flat=True).distinct())
    for chain in sorted(chains):
        _verify_chain(chain, heads.get(chain), report)
    return report
