from __future__ import annotations

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("survey", "0020_submission_questionnaire_fill")]

    operations = [
        migrations.AlterField(
            model_name="submission",
            name="questionnaire",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="survey.questionnaireversion",
                verbose_name="questionnaire version",
            ),
        ),
    ]
