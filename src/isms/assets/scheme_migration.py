"""Migrating a municipality's register to another classification scheme (pre_r6 → r6_10).

:func:`start_migration` switches the register's scheme at once and runs the core's
``migrate_classification`` over every asset that is not disposed of: a clear case gets its new
classes immediately; an ambiguous one (機密性3 → 3A/3B/3C; 機密性2 with personal information
→ 3C/2) becomes one :class:`MigrationReviewItem` per axis and the asset is flagged
``migration_pending``. **Until its review is resolved, such an asset keeps its old scheme and
classes** (and so its old 取扱制限, which for 機密性3 are those of 3C — never looser), shown as
"review pending"; it cannot be reclassified meanwhile. :func:`resolve_review_item` applies the
owner's choice with the core's ``resolve_review_item``, which accepts only a candidate; when
the asset's last item is resolved it switches to the new scheme, and when the migration's last
item is resolved the migration is complete.

Disposed assets keep the scheme they were disposed of under. Unclassified assets simply move to
the new scheme. The classes recorded for the information on a medium (``held_classes``) are not
migrated: the core's check reports a medium holding classes of another scheme, for the owner to
update.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from isms.assets.classification import (
    Axis,
    ClassificationError,
    InvalidDecision,
    MigrationHint,
    MigrationOutcome,
    ReviewItem,
    Source,
    default_migration,
    migrate_classification,
)
from isms.assets.classification import resolve_review_item as resolve_in_core
from isms.core import journal
from isms.core.models import Municipality, User

from .common import core_message, register_settings
from .facts import AXES, asset_facts, classification_of, register_context
from .models import AssetRegisterSettings, InformationAsset, MigrationReviewItem, SchemeMigration
from .visibility import edit_capacity, manages_whole_register

__all__ = ["outcome_of", "resolve_review_item", "start_migration"]

BATCH = 1000
_ASSET_FIELDS = ["scheme", "confidentiality", "integrity", "availability", "migration_pending"]


def _classes(asset: InformationAsset) -> dict[str, str]:
    return {"scheme": asset.scheme, **{axis: getattr(asset, axis) for axis in AXES}}


def start_migration(
    actor: User | None, municipality: Municipality, *, to_scheme: str = "r6_10"
) -> SchemeMigration:
    """Switch the register to ``to_scheme``: clear cases at once, ambiguous ones to review.

    Only those who manage the whole register (the leads, the municipality's administrators)
    may start it; one migration runs at a time.
    """
    if actor is not None and not manages_whole_register(actor, municipality.pk):
        raise PermissionDenied(_("You are not allowed to do this."))
    with transaction.atomic():
        settings = register_settings(municipality)
        if settings.pk is not None:
            settings = AssetRegisterSettings.objects.select_for_update().get(pk=settings.pk)
        from_scheme = settings.scheme
        if from_scheme == to_scheme:
            raise ValidationError(
                {"to_scheme": _("The register already uses this classification scheme.")}
            )
        try:
            rules = default_migration(from_scheme, to_scheme)
        except ClassificationError as exc:
            raise ValidationError({"to_scheme": core_message(exc)}) from None
        if SchemeMigration.objects.filter(
            municipality=municipality, completed_at__isnull=True
        ).exists():
            raise ValidationError(
                {"to_scheme": _("A migration of this register is still in progress.")}
            )
        migration = SchemeMigration.objects.create(
            municipality=municipality,
            from_scheme=from_scheme,
            to_scheme=to_scheme,
            started_by=actor,
        )
        settings_before = journal.snapshot(settings) if settings.pk else None
        settings.scheme = to_scheme
        settings.save()
        context = register_context(municipality.pk)
        changed: list[InformationAsset] = []
        items: list[MigrationReviewItem] = []
        entries: list[journal.JournalItem] = []
        assets = (
            InformationAsset.objects.select_for_update()
            .filter(municipality=municipality, scheme=from_scheme)
            .exclude(status=InformationAsset.Status.DISPOSED)
            .order_by("pk")
        )
        for asset in assets:
            before = _classes(asset)
            classification = classification_of(asset)
            if classification is None:
                asset.scheme = to_scheme
            else:
                try:
                    outcome = migrate_classification(
                        classification, facts=asset_facts(asset, context), rules=rules
                    )
                except ClassificationError as exc:
                    raise ValidationError(
                        {
                            "to_scheme": _("Asset %(number)s: %(problem)s")
                            % {"number": asset.asset_number, "problem": core_message(exc)}
                        }
                    ) from None
                if outcome.is_complete:
                    new = outcome.classification
                    assert new is not None
                    asset.scheme = new.scheme
                    asset.confidentiality = new.confidentiality
                    asset.integrity = new.integrity
                    asset.availability = new.availability
                    migration.migrated_count += 1
                else:
                    asset.migration_pending = True
                    migration.review_count += 1
                    assigned = {
                        axis.value: getattr(outcome, axis.value)
                        for axis in Axis
                        if getattr(outcome, axis.value) is not None
                    }
                    items.extend(
                        _review_item(migration, asset, item, assigned) for item in outcome.pending
                    )
            changed.append(asset)
            entries.append(
                journal.JournalItem(
                    action="asset.migrate",
                    object_type=InformationAsset._meta.label_lower,
                    object_id=str(asset.pk),
                    object_label=str(asset),
                    before=before,
                    after={**_classes(asset), "migration_pending": asset.migration_pending},
                )
            )
        InformationAsset.objects.bulk_update(changed, _ASSET_FIELDS, batch_size=BATCH)
        MigrationReviewItem.objects.bulk_create(items, batch_size=BATCH)
        if not items:
            migration.completed_at = timezone.now()
        migration.save()
        journal.record(
            actor=actor,
            action="asset_register.settings",
            obj=settings,
            before=settings_before,
            after=journal.snapshot(settings),
        )
        journal.record(
            actor=actor,
            action="asset_migration.start",
            obj=migration,
            after=journal.snapshot(migration),
        )
        journal.record_many(entries, actor=actor, municipality=municipality)
    return migration


def _review_item(
    migration: SchemeMigration, asset: InformationAsset, item: ReviewItem, assigned: dict[str, str]
) -> MigrationReviewItem:
    return MigrationReviewItem(
        municipality_id=asset.municipality_id,
        migration=migration,
        asset=asset,
        axis=item.axis.value,
        source_class=item.source_class,
        candidates=list(item.candidates),
        suggested=item.suggested or "",
        reason_ja=item.reason_ja,
        reason_en=item.reason_en,
        hints=[
            {
                "suggest": h.suggest,
                "text_ja": h.text_ja,
                "text_en": h.text_en,
                "source": h.source.value,
            }
            for h in item.hints
        ],
        assigned=assigned,
    )


def outcome_of(asset: InformationAsset, migration: SchemeMigration) -> MigrationOutcome:
    """Rebuild the core's ``MigrationOutcome`` of ``asset`` from its review items."""
    source = classification_of(asset)
    items = list(migration.review_items.filter(asset=asset).order_by("pk"))
    if source is None or not items:
        raise ValidationError(_("This asset has no classification review in this migration."))
    assigned: dict[str, str | None] = {axis: None for axis in AXES}
    assigned.update(items[0].assigned)
    pending: list[ReviewItem] = []
    for row in items:
        if row.is_resolved:
            assigned[row.axis] = row.chosen
            continue
        pending.append(
            ReviewItem(
                axis=Axis(row.axis),
                source_class=row.source_class,
                candidates=tuple(row.candidates),
                suggested=row.suggested or None,
                reason_ja=row.reason_ja,
                reason_en=row.reason_en,
                hints=tuple(
                    MigrationHint(
                        when=(),
                        suggest=h["suggest"],
                        text_ja=h["text_ja"],
                        text_en=h["text_en"],
                        source=Source(h["source"]),
                    )
                    for h in row.hints
                ),
            )
        )
    return MigrationOutcome(
        source=source,
        target_scheme=migration.to_scheme,
        confidentiality=assigned["confidentiality"],
        integrity=assigned["integrity"],
        availability=assigned["availability"],
        pending=tuple(pending),
    )


def resolve_review_item(
    actor: User | None, item: MigrationReviewItem, *, chosen: str, note: str = ""
) -> MigrationReviewItem:
    """Choose the new class of one review item; it must be one of its candidates.

    The owning unit's managers (or a deputy, or a lead) decide. When the asset's last item is
    resolved it takes its new classes; when the migration's last item is, it is complete.
    """
    asset = item.asset
    capacity = (
        edit_capacity(actor, asset.municipality_id, asset.owning_unit_id)
        if actor is not None
        else None
    )
    text = (note or "").strip()[:500]
    with transaction.atomic():
        current = MigrationReviewItem.objects.select_for_update().get(pk=item.pk)
        if current.is_resolved:
            raise ValidationError(_("This review item has already been resolved."))
        asset = InformationAsset.objects.select_for_update().get(pk=current.asset_id)
        migration = current.migration
        outcome = outcome_of(asset, migration)
        try:
            outcome = resolve_in_core(
                outcome,
                Axis(current.axis),
                (chosen or "").strip(),
                decided_by=actor.get_username() if actor else "",
                note=text,
            )
        except InvalidDecision as exc:
            raise ValidationError({"chosen": core_message(exc)}) from None
        before = journal.snapshot(current)
        current.chosen = (chosen or "").strip()
        current.note = text
        current.resolved_by = actor
        current.resolved_on_behalf_of = capacity.label if capacity else ""
        current.resolved_at = timezone.now()
        current.save()
        asset_before = _classes(asset)
        if outcome.is_complete:
            new = outcome.classification
            assert new is not None
            asset.scheme = new.scheme
            asset.confidentiality = new.confidentiality
            asset.integrity = new.integrity
            asset.availability = new.availability
            asset.migration_pending = False
            asset.save(update_fields=[*_ASSET_FIELDS, "updated_at"])
        journal.record(
            actor=actor,
            action="asset_migration.resolve",
            obj=current,
            before=before,
            after={
                **journal.snapshot(current),
                "asset_before": asset_before,
                "asset_after": _classes(asset),
            },
            on_behalf_of=capacity.label if capacity else "",
        )
        if not migration.review_items.filter(resolved_at__isnull=True).exists():
            migration = SchemeMigration.objects.select_for_update().get(pk=migration.pk)
            migration.completed_at = timezone.now()
            migration.save(update_fields=["completed_at"])
            journal.record(
                actor=actor,
                action="asset_migration.complete",
                obj=migration,
                after=journal.snapshot(migration),
            )
    return current
