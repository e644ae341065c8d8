"""Background tasks (django-tasks API, run by django-tasks-db's `manage.py db_worker`).

Thin wrappers: the work is in survey.jobs. Arguments are plain ids, since the database
backend stores them as JSON.
"""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from survey import jobs
from survey.models.exports import ExportJob


@task()
def build_export(job_id: int) -> None:
    jobs.run(job_id)


@task()
def expire_export(job_id: int) -> None:
    """Runs when the link expires: the file is deleted; older leftovers go too."""
    now = timezone.now()
    jobs.expire(job_id, now)
    jobs.expire_all(now)
    ExportJob.fail_stale(now)
