"""Reminders sent before deadlines were recorded counted back from the response's deadline."""

from django.db import migrations


def fill(apps, schema_editor):
    ReminderSent = apps.get_model("survey", "ReminderSent")
    for reminder in ReminderSent.objects.filter(deadline__isnull=True).select_related(
        "response__campaign"
    ):
        response = reminder.response
        deadline = response.campaign.deadline
        if response.extended_deadline and response.extended_deadline > deadline:
            deadline = response.extended_deadline
        reminder.deadline = deadline
        reminder.save(update_fields=["deadline"])


class Migration(migrations.Migration):
    dependencies = [("survey", "0005_reminder_deadline_comment_keeps")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
