"""Submissions made before they recorded their questionnaire version were all given on
their campaign's version (a campaign could not change version then)."""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.models import OuterRef, Subquery


def fill(apps: Any, schema_editor: Any) -> None:
    Submission = apps.get_model("survey", "Submission")
    Response = apps.get_model("survey", "Response")
    version = Response.objects.filter(pk=OuterRef("response_id")).values(
        "campaign__questionnaire_id"
    )
    Submission.objects.filter(questionnaire__isnull=True).update(
        questionnaire_id=Subquery(version)
    )


class Migration(migrations.Migration):
    dependencies = [("survey", "0019_carry_forward")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
