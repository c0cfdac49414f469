"""Record when a version of the 対策基準 became current; backfill it for existing versions.

The current version gets its creation time (or the time of its journaled make-current). A
version that was made current before, according to the journal, is marked too, so that it is
never edited again.
"""

from typing import Any

from django.db import migrations, models


def backfill(apps: Any, schema_editor: Any) -> None:
    ControlStandard = apps.get_model("policy", "ControlStandard")
    JournalEntry = apps.get_model("core", "JournalEntry")
    first_made_current: dict[str, Any] = {}
    for object_id, at in (
        JournalEntry.objects.filter(
            action="control_standard.make_current", object_type="policy.controlstandard"
        )
        .order_by("at")
        .values_list("object_id", "at")
    ):
        first_made_current.setdefault(object_id, at)
    for standard in ControlStandard.objects.filter(made_current_at__isnull=True):
        at = first_made_current.get(str(standard.pk))
        if at is None and standard.is_current:
            at = standard.created_at
        if at is not None:
            standard.made_current_at = at
            standard.save(update_fields=["made_current_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_import_job_assets"),
        ("policy", "0005_control_replaces"),
    ]

    operations = [
        migrations.AddField(
            model_name="controlstandard",
            name="made_current_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="made current at"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
