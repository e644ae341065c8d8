"""Use.platform: the platform each use counts under, stored (was an alias lookup per use)."""

from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce


def fill(apps, schema_editor):  # type: ignore[no-untyped-def]
    Use = apps.get_model("survey", "Use")
    Alias = apps.get_model("survey", "IntermediaryAlias")
    alias = Alias.objects.filter(key=OuterRef("intermediary_key")).values("platform")[
        :1
    ]
    # One UPDATE over live uses and submission copies alike.
    Use._base_manager.exclude(intermediary_key="").update(
        platform=Coalesce(Subquery(alias), F("intermediary_key"))
    )


class Migration(migrations.Migration):
    dependencies = [("survey", "0014_export_jobs")]

    operations = [
        migrations.AddField(
            model_name="use",
            name="platform",
            field=models.CharField(blank=True, max_length=200, verbose_name="platform"),
        ),
        migrations.AddIndex(
            model_name="use",
            index=models.Index(
                fields=["platform"], name="survey_use_platfor_737450_idx"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
