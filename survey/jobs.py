"""Export jobs end to end: requested in a view, built by a worker, expired by a worker.

The work itself is survey.exports; this module gives it a job row (progress, file,
error), the storage and the audit trail. The same `run` serves the background worker
(survey.tasks) and the small exports produced inline.
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from survey import exports
from survey.models import AuditEvent, Campaign, User
from survey.models.exports import ExportJob


class Stopped(Exception):
    """The job stopped running under the worker's feet (failed as stale or timed out)."""


def request(
    campaign: Campaign,
    user: User,
    options: exports.Options,
    ip: str | None,
    *,
    now: datetime | None = None,
) -> ExportJob:
    """Record the job and hand it to the queue (or, for a small one, build it now)."""
    from survey import tasks

    now = now or timezone.now()
    job = ExportJob.objects.create(
        campaign=campaign,
        requested_by=user,
        options=options.as_json(),
        created_at=now,
    )
    AuditEvent.record(
        "export.requested",
        actor=user,
        obj=job,
        campaign=campaign,
        ip=ip,
        options=options.as_json(),
    )
    inline = settings.EXPORT_INLINE_ROWS
    if inline and exports.expected_rows(campaign, options) <= inline:
        run(job.pk)
        job.refresh_from_db()
        return job
    tasks.build_export.enqueue(job.pk)
    return job


def run(job_id: int) -> None:
    """Build the file of a queued job: queued → running (with progress) → done/failed."""
    ExportJob.fail_stale(timezone.now())
    job = ExportJob.objects.select_related("campaign", "requested_by").get(pk=job_id)
    campaign = job.campaign
    try:
        options = exports.Options.from_json(job.options)
        total = exports.expected_rows(campaign, options)
    except Exception as error:  # noqa: BLE001 - every failure ends the job as failed
        _failed(job, error)
        return
    if not job.claim(timezone.now(), total):
        return  # already taken, or failed meanwhile
    started = time.monotonic()
    limit = settings.EXPORT_TIMEOUT_MINUTES * 60
    # The export reads in one read-only snapshot (survey.exports.snapshot): progress
    # written on this connection would fail, or stay unseen by the page polling it
    # until the end. Inside a transaction of the caller's (where the job row itself
    # may not be committed yet) there is no snapshot of the export's own: this one.
    beside = not connection.in_atomic_block

    def progress(done: int, total: int) -> None:
        if time.monotonic() - started > limit:
            raise Stopped(
                f"The export took longer than {settings.EXPORT_TIMEOUT_MINUTES} minutes."
            )
        report = partial(job.report, min(done, total), timezone.now())
        if not (_on_own_connection(report) if beside else report()):
            raise Stopped("The job was stopped.")

    try:
        with tempfile.TemporaryFile() as handle:
            write = exports.write_csv if options.format == "csv" else exports.write
            counts = write(
                campaign,
                options,
                handle,
                generated_by=job.requested_by.email,
                now=timezone.now(),
                progress=progress,
            )
            handle.seek(0)
            digest = hashlib.file_digest(handle, "sha256").hexdigest()  # type: ignore[arg-type]
            size = handle.tell()
            handle.seek(0)
            filename = _filename(campaign, options, job)
            stored = default_storage.save(
                f"exports/{job.uuid}/{filename}", File(handle, name=filename)
            )
    except Exception as error:  # noqa: BLE001 - every failure ends the job as failed
        _failed(job, error)
        return
    now = timezone.now()
    expires = now + timedelta(hours=settings.EXPORT_LINK_HOURS)
    job.done(
        {
            "file": stored,
            "filename": filename,
            "sha256": digest,
            "size": size,
            "row_counts": counts,
            "rows_done": job.rows_total,
            "expires_at": expires,
        },
        now,
    )
    AuditEvent.record(
        "export.created",
        actor=job.requested_by,
        obj=job,
        campaign=campaign,
        options=job.options,
        rows=counts,
        sha256=digest,
        size=size,
    )
    from survey import tasks

    tasks.expire_export.using(run_after=expires).enqueue(job.pk)


def expire(job_id: int, now: datetime | None = None) -> bool:
    """Delete the file of a job whose link has expired; True when it did."""
    now = now or timezone.now()
    job = ExportJob.objects.filter(pk=job_id).first()
    if job is None or job.expires_at is None or job.expires_at > now:
        return False
    if job.file:
        default_storage.delete(job.file.name)
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.EXPIRED, file="")
    return True


def expire_all(now: datetime) -> int:
    """Every job past its expiry (a worker's sweep, should a deferred task be lost)."""
    due = ExportJob.objects.filter(
        status=ExportJob.Status.DONE, expires_at__lte=now
    ).values_list("pk", flat=True)
    return sum(expire(pk, now) for pk in list(due))


def _on_own_connection(call: Callable[[], bool]) -> bool:
    """`call()` in a short thread: Django gives each thread its own connection, closed
    (or handed back to the pool) when the thread ends."""
    outcome: list[Any] = []

    def target() -> None:
        try:
            outcome.append(call())
        except BaseException as error:  # noqa: BLE001 - raised again in the caller
            outcome.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=target, name="export-progress")
    thread.start()
    thread.join()
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return bool(outcome[0])


def _failed(job: ExportJob, error: BaseException) -> None:
    job.fail(_reason(error), timezone.now())
    AuditEvent.record(
        "export.failed",
        actor=job.requested_by,
        obj=job,
        campaign=job.campaign,
        error=job.error,
    )


def _filename(campaign: Campaign, options: exports.Options, job: ExportJob) -> str:
    stamp = f"{job.created_at:%Y%m%d-%H%M}"
    suffix = "zip" if options.format == "csv" else "xlsx"
    return f"{campaign.slug}-{stamp}.{suffix}"


def _reason(error: BaseException) -> str:
    if isinstance(error, Stopped):
        return str(error)
    return f"{type(error).__name__}: {error}"[:2000]


def describe_options(options: dict[str, Any]) -> str:
    parsed = exports.Options.from_json(options)
    parts = [parsed.format.upper(), parsed.language]
    if parsed.codes:
        parts.append("codes")
    if parsed.aggregates_only:
        parts.append("aggregates")
    if parsed.responses:
        parts.append(f"{len(parsed.responses)} responses")
    parts += [f"{k}={v}" for k, v in parsed.filter.query().items()]
    return ", ".join(parts)
