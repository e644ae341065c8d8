"""Dependency risk scoring of questionnaire-spec.md §2, as pure functions.

Inputs are factor values already read from the questionnaire's options (C, Sub, A, E, R),
through a campaign's own mapping where it has one (ScoringConfig.factor), and the number of
days to transition (T); nothing here knows about the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from math import floor
from typing import Any

SCORING_VERSION = "2026.1"


class Band:
    """Risk bands, lowest first; the values are stored on rows and exported."""

    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"
    ORDER = (NONE, LOW, MEDIUM, HIGH, CRITICAL)


@dataclass(frozen=True)
class ScoringConfig:
    """Weights and thresholds; the defaults are those of spec §2."""

    version: str = SCORING_VERSION
    # Upper bounds (inclusive) of days for T = 1, 2, 3; beyond the last, or unknown, T = 4.
    time_thresholds: tuple[int, int, int] = (30, 90, 180)
    # Lower bounds of DRI for Critical, High, Medium; anything above 0 is at least Low.
    band_thresholds: tuple[float, float, float] = (50.0, 25.0, 10.0)
    classified_exposure: int = 3
    classified_bonus: float = 0.25
    full_reliance: int = 4
    full_reliance_bonus: float = 0.25
    no_alternative_floor: int = 3
    # 24 = 16 (largest core) x 1.5 (largest multiplier): DRI then spans 0..100.
    normaliser: float = 24.0
    extra_high_use_step: float = 5.0
    # Option factors a campaign maps otherwise than its questionnaire does (spec §2.2's
    # mappings), by question id and then option code: {"D13": {"level_3": 3}}.
    factors: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    EDITABLE = (
        "time_thresholds",
        "band_thresholds",
        "classified_exposure",
        "classified_bonus",
        "full_reliance",
        "full_reliance_bonus",
        "no_alternative_floor",
        "extra_high_use_step",
        "factors",
    )

    @classmethod
    def from_dict(cls, data: dict[str, Any], number: int) -> ScoringConfig:
        """A campaign's numbered version: the defaults with the stored values over them."""
        values = {k: data[k] for k in cls.EDITABLE if k in data}
        for key in ("time_thresholds", "band_thresholds"):
            if key in values:
                values[key] = tuple(values[key])
        if "factors" in values:
            values["factors"] = {
                question: {code: int(f) for code, f in options.items()}
                for question, options in values["factors"].items()
            }
        return cls(version=f"{SCORING_VERSION}.c{number}", **values)

    def factor(self, question_id: str, option: str, default: float) -> float:
        """The factor of an answer: the campaign's mapping, else the questionnaire's."""
        return self.factors.get(question_id, {}).get(option, default)

    def as_dict(self) -> dict[str, Any]:
        return {
            k: list(v) if isinstance(v, tuple) else dict(v) if k == "factors" else v
            for k, v in ((k, getattr(self, k)) for k in self.EDITABLE)
        }


DEFAULT_CONFIG = ScoringConfig()


@dataclass(frozen=True)
class UseScore:
    c: int
    t: int
    sub: int
    a: int
    s: int
    e: int
    r: int
    m: float
    dri: float
    band: str
    assumed: tuple[str, ...] = field(default=())


def round_half_up(value: Fraction) -> float:
    """One decimal, halves rounded up as the spec's worked examples do (46.875 -> 46.9)."""
    return floor(value * 10 + Fraction(1, 2)) / 10


def time_factor(days: int | None, config: ScoringConfig = DEFAULT_CONFIG) -> int:
    """T from D14: unknown days count as the worst case."""
    if days is None:
        return 4
    for factor, bound in enumerate(config.time_thresholds, start=1):
        if days <= bound:
            return factor
    return 4


def band(dri: float, config: ScoringConfig = DEFAULT_CONFIG) -> str:
    critical, high, medium = config.band_thresholds
    if dri >= critical:
        return Band.CRITICAL
    if dri >= high:
        return Band.HIGH
    if dri >= medium:
        return Band.MEDIUM
    if dri > 0:
        return Band.LOW
    return Band.NONE


def score_use(
    *,
    c: int,
    days: int | None,
    sub: int,
    a: int,
    e: int,
    r: int,
    no_alternative: bool,
    assumed: Iterable[str] = (),
    config: ScoringConfig = DEFAULT_CONFIG,
) -> UseScore:
    """DRI of one use: round(100 x C x S x M / 24, 1) with the factors of spec §2.2."""
    t = time_factor(days, config)
    s = max(1, max(t, sub) - a)
    if no_alternative:
        s = max(s, config.no_alternative_floor)
    m = 1.0
    if e >= config.classified_exposure:
        m += config.classified_bonus
    if r >= config.full_reliance:
        m += config.full_reliance_bonus
    dri = round_half_up(
        Fraction(100 * c * s) * Fraction(m) / Fraction(config.normaliser)
    )
    assumed = tuple(sorted(set(assumed) | ({"T"} if days is None else set())))
    return UseScore(
        c=c,
        t=t,
        sub=sub,
        a=a,
        s=s,
        e=e,
        r=r,
        m=m,
        dri=dri,
        band=band(dri, config),
        assumed=assumed,
    )


def contractor_index(
    dris: Iterable[float], config: ScoringConfig = DEFAULT_CONFIG
) -> float:
    """CDI: the worst use, plus a step for each further High or Critical use, capped at 100."""
    values = list(dris)
    if not values:
        return 0.0
    high_floor = config.band_thresholds[1]
    severe = sum(1 for v in values if v >= high_floor)
    extra = Fraction(config.extra_high_use_step) * max(0, severe - 1)
    return round_half_up(min(Fraction(100), Fraction(str(max(values))) + extra))


def tier(cdi: float, route: str, config: ScoringConfig = DEFAULT_CONFIG) -> str:
    """The contractor's tier: a band, or the screening outcome when there are no uses."""
    if route == "no_dependence":
        return "none_attested"
    if route == "unresolved":
        return "unresolved"
    return band(cdi, config)
