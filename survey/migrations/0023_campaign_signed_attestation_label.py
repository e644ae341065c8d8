"""The signed-attestation switch names no question id: the question is whichever one a
campaign's questionnaire binds to the signed attestation (verbose name only)."""

from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("survey", "0022_use_columns_without_question_ids")]

    operations = [
        migrations.AlterField(
            model_name="campaign",
            name="require_signed_attestation",
            field=models.BooleanField(
                default=False, verbose_name="require a signed attestation file"
            ),
        ),
    ]
