"""AI vendors and the immutable questionnaire versions that campaigns point to."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from survey import questionnaire as qn
from survey.models.records import Submission


class Vendor(models.Model):
    """The AI vendor a campaign assesses; its name fills "{vendor}" in every text."""

    name = models.CharField(_("name"), max_length=200, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("AI vendor")
        verbose_name_plural = _("AI vendors")

    def __str__(self) -> str:
        return self.name


# Parsed definitions by digest: a version never changes once stored, and pages ask for
# the parsed form many times per request.
_PARSED: dict[str, qn.Questionnaire] = {}


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class QuestionnaireVersionManager(models.Manager["QuestionnaireVersion"]):
    def create_from_definition(self, data: Any, source: str) -> QuestionnaireVersion:
        """Validate a definition and store it as a new version; an identical one is refused."""
        parsed = qn.parse(data, source=source)
        text = canonical_json(data)
        digest = hashlib.sha256(text.encode()).hexdigest()
        existing = self.filter(digest=digest).first()
        if existing is not None:
            raise ValidationError(
                _("%(source)s is identical to questionnaire version %(version)s."),
                params={"source": source, "version": existing},
            )
        if self.filter(key=parsed.key, version=parsed.version).exists():
            raise ValidationError(
                _(
                    "%(source)s: %(key)s version %(version)s already exists with other "
                    "content; give the file a new version."
                ),
                params={"source": source, "key": parsed.key, "version": parsed.version},
            )
        return self.create(
            key=parsed.key,
            version=parsed.version,
            title=parsed.title.en,
            definition=data,
            digest=digest,
        )

    def get_or_load(self, path: Path | str) -> QuestionnaireVersion:
        """The stored version of a definition file, loading it on first use."""
        data = qn.read_file(path)
        digest = hashlib.sha256(canonical_json(data).encode()).hexdigest()
        existing = self.filter(digest=digest).first()
        if existing is not None:
            return existing
        return self.create_from_definition(data, source=str(path))


class QuestionnaireVersion(models.Model):
    """One immutable version of a questionnaire definition (see survey/questionnaires/)."""

    key = models.CharField(_("key"), max_length=100)
    version = models.CharField(_("version"), max_length=50)
    title = models.CharField(_("title"), max_length=300)
    definition = models.JSONField(_("definition"))
    digest = models.CharField(
        _("SHA-256 of the definition"), max_length=64, unique=True
    )
    created_at = models.DateTimeField(_("loaded at"), default=timezone.now)

    objects = QuestionnaireVersionManager()

    class Meta:
        ordering = ["key", "-created_at"]
        verbose_name = _("questionnaire version")
        verbose_name_plural = _("questionnaire versions")
        constraints = [
            models.UniqueConstraint(
                fields=["key", "version"], name="questionnaire_key_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Answers are only interpretable against the definition they were given on.
        if self.pk is not None:
            stored = (
                QuestionnaireVersion.objects.filter(pk=self.pk).values("digest").first()
            )
            if stored and stored["digest"] != self.digest and self.in_use():
                raise ValidationError(
                    _("A questionnaire version in use cannot change.")
                )
        super().save(*args, **kwargs)

    def in_use(self) -> bool:
        """Whether a campaign points to this version, or submissions were given on it
        (a campaign moved to another version still reads them with this one)."""
        return (
            self.campaigns.exists()
            or Submission.objects.filter(questionnaire=self).exists()
        )

    @property
    def parsed(self) -> qn.Questionnaire:
        parsed = _PARSED.get(self.digest)
        if parsed is None:
            source = f"questionnaire version {self.digest[:12]}"
            parsed = _PARSED[self.digest] = qn.parse(self.definition, source=source)
        return parsed
