"""The journal: every service write is recorded, chained, and tampering is detected."""

from __future__ import annotations

import itertools

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from isms.core import journal, services
from isms.core.models import JournalEntry, JournalHead, OrgUnit
from tests.support.factories import make_municipality


@pytest.fixture
def chain(db):
    """A municipality with three org units: four entries in its chain."""
    m = make_municipality()
    for i in range(3):
        services.create_org_unit(
            None, m, code=f"C{i}", name=f"課{i}", kind="division", organ_kind="mayor_departments"
        )
    return m


def test_each_service_write_appends_one_linked_entry(chain):
    """Entries of a municipality form one chain: seq 1..n, each linked to the previous hash."""
    entries = list(JournalEntry.objects.filter(chain=f"m{chain.pk}").order_by("seq"))
    assert [e.seq for e in entries] == [1, 2, 3, 4]
    assert [e.action for e in entries] == ["municipality.create"] + ["org_unit.create"] * 3
    assert entries[0].prev_hash == journal.GENESIS_HASH
    for prev, cur in itertools.pairwise(entries):
        assert cur.prev_hash == prev.hash
    head = JournalHead.objects.get(chain=f"m{chain.pk}")
    assert (head.last_seq, head.last_hash) == (4, entries[-1].hash)
    assert journal.verify().ok


def test_entry_records_before_and_after(chain):
    unit = OrgUnit.objects.get(municipality=chain, code="C0")
    admin = services.create_user(
        None, username="a", password=None, municipality=chain, is_municipality_admin=True
    )
    services.update_org_unit(admin, unit, name="新しい課")
    entry = JournalEntry.objects.filter(action="org_unit.update").get()
    assert entry.before["name"] == "課0"
    assert entry.after["name"] == "新しい課"
    assert entry.actor == admin
    assert entry.object_type == "core.orgunit"
    assert entry.object_id == str(unit.pk)


def test_record_outside_a_transaction_is_refused(transactional_db):
    """An entry must commit with its change, so recording outside atomic() is a bug."""
    m = make_municipality()
    with pytest.raises(RuntimeError, match="inside the service's transaction"):
        journal.record(actor=None, action="x", municipality=m)


def test_failed_service_leaves_no_entry(chain):
    """A change that rolls back takes its journal entry with it."""
    count = JournalEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.create_org_unit(
            None, chain, code="R1", name="消える課", kind="division", organ_kind="mayor_departments"
        )
        raise RuntimeError("boom")
    assert JournalEntry.objects.count() == count
    assert journal.verify().ok


def _raw(sql: str, params: list) -> None:
    with connection.cursor() as cur:
        cur.execute(sql, params)


def test_verify_names_a_row_edited_in_the_database(chain):
    victim = JournalEntry.objects.get(chain=f"m{chain.pk}", seq=2)
    _raw(
        f"UPDATE {JournalEntry._meta.db_table} SET object_label = %s WHERE id = %s",
        ["改ざん", victim.pk],
    )
    report = journal.verify()
    assert not report.ok
    assert report.breaks[0].seq == 2
    assert report.breaks[0].entry_id == victim.pk
    assert "edited" in report.breaks[0].reason


def test_verify_detects_a_deleted_row(chain):
    victim = JournalEntry.objects.get(chain=f"m{chain.pk}", seq=3)
    _raw(f"DELETE FROM {JournalEntry._meta.db_table} WHERE id = %s", [victim.pk])
    report = journal.verify()
    assert [(b.seq, "missing" in b.reason) for b in report.breaks] == [(3, True)]


def test_verify_detects_a_deleted_tail(chain):
    victim = JournalEntry.objects.get(chain=f"m{chain.pk}", seq=4)
    _raw(f"DELETE FROM {JournalEntry._meta.db_table} WHERE id = %s", [victim.pk])
    report = journal.verify()
    assert len(report.breaks) == 1
    assert "head says seq 4" in report.breaks[0].reason


def test_verify_ignores_entries_written_after_it_read_the_heads(chain, monkeypatch):
    """A write that lands while verify runs (entry and head move together) is no break."""
    real = journal._verify_chain

    def write_meanwhile(name, head, report):  # type: ignore[no-untyped-def]
        with transaction.atomic():
            services.create_org_unit(
                None, chain, code="LATE", name="後発課", kind="division",
                organ_kind="mayor_departments",
            )  # fmt: skip
        real(name, head, report)

    monkeypatch.setattr(journal, "_verify_chain", write_meanwhile)
    report = journal.verify()
    assert report.ok, report.breaks
    assert report.heads[f"m{chain.pk}"][0] == 4


def test_verify_detects_an_entry_appended_behind_the_head(chain):
    """A forged entry after the last one, with the head left alone, is found."""
    last = JournalEntry.objects.get(chain=f"m{chain.pk}", seq=4)
    forged = JournalEntry.objects.get(pk=last.pk)
    forged.pk, forged.seq, forged.prev_hash = None, 5, last.hash
    forged.hash = journal.compute_hash(forged)
    forged.save()
    report = journal.verify()
    assert [b.reason for b in report.breaks] == ["entries after the head (inserted at the end)"]


def test_verify_detects_an_inserted_row(chain):
    """A forged entry copied into the middle duplicates a sequence number or breaks a link."""
    e = JournalEntry.objects.get(chain=f"m{chain.pk}", seq=4)
    _raw(f"UPDATE {JournalEntry._meta.db_table} SET seq = 5 WHERE id = %s", [e.pk])
    forged = JournalEntry.objects.get(pk=e.pk)
    forged.pk, forged.seq, forged.object_label = None, 4, "偽"
    forged.save()
    report = journal.verify()
    assert not report.ok
    assert report.breaks[0].seq == 4


def test_journal_verify_command_exits_non_zero_and_names_the_entry(chain, capsys):
    victim = JournalEntry.objects.get(chain=f"m{chain.pk}", seq=2)
    call_command("journal", "verify")
    assert "OK: 4 entries verified." in capsys.readouterr().out
    _raw(
        f"UPDATE {JournalEntry._meta.db_table} SET after = %s WHERE id = %s",
        ['{"name": "x"}', victim.pk],
    )
    with pytest.raises(CommandError, match="journal verification failed"):
        call_command("journal", "verify")
    err = capsys.readouterr().err
    assert f"chain m{chain.pk}, seq 2 (entry id={victim.pk})" in err


def test_record_read_is_journaled(chain):
    unit = OrgUnit.objects.get(municipality=chain, code="C1")
    entry = journal.record_read(actor=None, obj=unit, reason="監査")
    assert entry.kind == JournalEntry.Kind.READ
    assert entry.after == {"reason": "監査"}
    assert journal.verify().ok


def test_record_many_writes_one_batch_under_one_lock(chain):
    items = [
        journal.JournalItem(action="bulk.test", object_type="x", object_id=str(i))
        for i in range(250)
    ]
    with transaction.atomic():
        journal.record_many(items, actor=None, municipality=chain)
    assert JournalEntry.objects.filter(action="bulk.test").count() == 250
    assert JournalHead.objects.get(chain=f"m{chain.pk}").last_seq == 254
    assert journal.verify().ok


def test_municipalities_have_independent_chains(db):
    a = make_municipality("192040", "都留市")
    b = make_municipality("192015", "甲府市")
    assert (
        JournalEntry.objects.get(municipality=a).chain
        != JournalEntry.objects.get(municipality=b).chain
    )
    assert journal.verify().heads.keys() == {f"m{a.pk}", f"m{b.pk}"}


@pytest.mark.django_db
def test_snapshot_keeps_many_to_many_values_as_sorted_keys() -> None:
    """A many-to-many field reads back as the sorted keys of its records, not as records
    (which JSON cannot hold)."""
    from django.contrib.auth.models import Group

    from isms.core.models import User

    user = User.objects.create_user(username="m2m", password="x")
    groups = [Group.objects.create(name=n) for n in ("b", "a")]
    user.groups.set(groups)
    data = journal.snapshot(user, exclude=("password",))
    assert data["groups"] == sorted(g.pk for g in groups)
    assert data["user_permissions"] == []
