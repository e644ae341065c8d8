"""Use columns are named, not numbered by v1's question ids: a list of uses spans
questionnaires (verbose names only, no schema change)."""

from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("survey", "0021_submission_questionnaire_required"),
    ]

    operations = [
        migrations.AlterField(
            model_name="use",
            name="alternative",
            field=models.CharField(
                blank=True, max_length=40, verbose_name="alternative"
            ),
        ),
        migrations.AlterField(
            model_name="use",
            name="channel",
            field=models.CharField(blank=True, max_length=40, verbose_name="channel"),
        ),
        migrations.AlterField(
            model_name="use",
            name="classification",
            field=models.CharField(
                blank=True, max_length=20, verbose_name="classification"
            ),
        ),
        migrations.AlterField(
            model_name="use",
            name="contracts",
            field=models.ManyToManyField(
                blank=True,
                related_name="uses",
                to="survey.contract",
                verbose_name="contracts",
            ),
        ),
        migrations.AlterField(
            model_name="use",
            name="cost",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                max_digits=16,
                null=True,
                verbose_name="transition cost, USD",
            ),
        ),
        migrations.AlterField(
            model_name="use",
            name="criticality",
            field=models.CharField(
                blank=True, max_length=40, verbose_name="criticality"
            ),
        ),
        migrations.AlterField(
            model_name="use",
            name="days",
            field=models.PositiveIntegerField(
                blank=True, null=True, verbose_name="days to transition"
            ),
        ),
        migrations.AlterField(
            model_name="use",
            name="function",
            field=models.CharField(blank=True, max_length=40, verbose_name="function"),
        ),
        migrations.AlterField(
            model_name="use",
            name="intermediary",
            field=models.CharField(
                blank=True, max_length=200, verbose_name="intermediary"
            ),
        ),
        migrations.AlterField(
            model_name="use",
            name="nss",
            field=models.CharField(blank=True, max_length=10, verbose_name="NSS"),
        ),
        migrations.AlterField(
            model_name="use",
            name="oversight",
            field=models.CharField(blank=True, max_length=40, verbose_name="oversight"),
        ),
        migrations.AlterField(
            model_name="use",
            name="policy",
            field=models.CharField(
                blank=True, max_length=40, verbose_name="policy constraint"
            ),
        ),
        migrations.AlterField(
            model_name="use",
            name="relationship",
            field=models.CharField(
                blank=True, max_length=40, verbose_name="relationship"
            ),
        ),
        migrations.AlterField(
            model_name="use",
            name="reliance",
            field=models.CharField(blank=True, max_length=40, verbose_name="reliance"),
        ),
        migrations.AlterField(
            model_name="use",
            name="stage",
            field=models.CharField(blank=True, max_length=40, verbose_name="stage"),
        ),
        migrations.AlterField(
            model_name="use",
            name="substitutability",
            field=models.CharField(
                blank=True, max_length=40, verbose_name="substitutability"
            ),
        ),
    ]
