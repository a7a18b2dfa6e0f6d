"""Policy: the reason taxonomy, severities, surfaces, deadlines, actions, strike ladder and limits.

One TOML file, validated when fairflag starts. Its ``version`` (plus a short hash of the file's
content, so an edit without a version bump is still told apart) is recorded on every decision.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_type_hints

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model, model_validator

from fairflag.engine.campaigns import CampaignPolicy
from fairflag.engine.credibility import CredibilityPolicy
from fairflag.engine.misuse import MisusePolicy

E = TypeVar("E")

SURFACES = ("account", "video", "comment", "livestream")
REQUIRED_REASONS = (
    "spam", "fake_engagement", "harmful_content", "copyright", "harassment", "impersonation",
    "scam_fraud", "hate", "violence", "sexual_content", "minor_safety", "self_harm",
    "illegal_content", "report_abuse", "other",
)
ACTION_KINDS = (
    "remove", "restrict_visibility", "age_restrict", "demonetize", "end_livestream", "warn", "suspend", "ban",
)
SEVERITY_ORDER = ("low", "medium", "high", "critical")

Severity = Literal["low", "medium", "high", "critical"]
PositiveFloat = Annotated[float, Field(gt=0)]
PositiveInt = Annotated[int, Field(gt=0)]


class PolicyError(ValueError):
    """The policy file is missing, unreadable or invalid; the message says where."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _file_section(engine_cls: type[Any]) -> type[BaseModel]:
    """The policy file's model of one engine's knobs: that engine dataclass's fields, types and defaults,
    refusing unknown keys. Derived from the dataclass, so each knob is defined once, in its engine, and the
    engine class itself is left as it is."""
    hints = get_type_hints(engine_cls)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(engine_cls):
        if f.default is not dataclasses.MISSING:
            default: Any = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = Field(default_factory=f.default_factory)
        else:
            default = ...
        fields[f.name] = (hints[f.name], default)
    return create_model(f"{engine_cls.__name__}Section", __base__=_Strict, **fields)


def _engine_section(engine_cls: type[E]) -> BeforeValidator:
    """Validate a policy table with its file model, then build the engine's own dataclass from the values
    (whose ``__post_init__`` may refuse a combination; pydantic reports that under the table's name)."""
    model = _file_section(engine_cls)

    def build(value: Any) -> Any:
        if isinstance(value, engine_cls):
            return value
        return engine_cls(**dict(model.model_validate(value)))

    return BeforeValidator(build)


CredibilitySection = Annotated[CredibilityPolicy, _engine_section(CredibilityPolicy)]
MisuseSection = Annotated[MisusePolicy, _engine_section(MisusePolicy)]
CampaignsSection = Annotated[CampaignPolicy, _engine_section(CampaignPolicy)]


class Limits(_Strict):
    max_text_chars: PositiveInt = 2000
    max_evidence_urls: Annotated[int, Field(ge=0)] = 10
    max_url_chars: PositiveInt = 2048
    max_backdate_s: PositiveInt = 30 * 86400
    max_future_skew_s: Annotated[int, Field(ge=0)] = 120
    max_id_chars: PositiveInt = 200
    claim_lease_s: PositiveInt = 900
    appeal_window_days: PositiveInt = 180
    triage_max_attempts: PositiveInt = 5


class Surface(_Strict):
    urgency: PositiveFloat
    review_deadline_s: dict[Severity, PositiveInt]

    @model_validator(mode="after")
    def _all_severities(self) -> Surface:
        missing = [s for s in SEVERITY_ORDER if s not in self.review_deadline_s]
        if missing:
            raise ValueError(f"review_deadline_s lacks severities {missing}")
        return self


class Reason(_Strict):
    description: Annotated[str, Field(min_length=1)]
    severity: Severity
    family: Annotated[str, Field(min_length=1)] = "other"
    reports_per_view: Annotated[float, Field(gt=0, lt=1)] | None = None


class Action(_Strict):
    target: Literal["subject", "account"]
    strike: bool
    surfaces: tuple[str, ...] | None = None
    requires_duration: bool = False
    max_duration_s: PositiveInt | None = None
    permanent: bool = False


class LadderStep(_Strict):
    strikes: PositiveInt
    consequence: Literal["warn", "restrict_visibility", "suspend", "ban"]
    duration_s: PositiveInt | None = None


class Strikes(_Strict):
    expire_after_days: PositiveInt = 90
    ladder: tuple[LadderStep, ...]

    @model_validator(mode="after")
    def _ladder_rises(self) -> Strikes:
        counts = [step.strikes for step in self.ladder]
        if not counts or counts != sorted(set(counts)) or counts[0] != 1:
            raise ValueError("ladder must start at 1 strike and rise strictly")
        for step in self.ladder:
            if step.consequence in ("restrict_visibility", "suspend") and step.duration_s is None:
                raise ValueError(f"ladder step at {step.strikes} strikes needs duration_s")
        return self

    def step_for(self, active_strikes: int) -> LadderStep | None:
        """The highest rung reached by this many active strikes."""
        reached = [s for s in self.ladder if s.strikes <= active_strikes]
        return reached[-1] if reached else None


class Triage(_Strict):
    group_cap: PositiveFloat = 1.0
    group_cap_members: PositiveFloat = 1.5
    severity_evidence_full: PositiveFloat = 0.8
    credible_reporter: Annotated[float, Field(gt=0, lt=1)] = 0.5
    base_reports_per_view: Annotated[float, Field(gt=0, lt=1)] = 0.0002
    exposure_floor: Annotated[float, Field(ge=0, le=1)] = 0.1
    plausible_report_rate: Annotated[float, Field(gt=0, le=1)] = 0.05
    owner_strike_factor: Annotated[float, Field(ge=0)] = 0.2
    owner_strike_cap: Annotated[int, Field(ge=0)] = 5
    spam_signal_weight: Annotated[float, Field(ge=0)] = 0.5
    trusted_flagger_bonus: Annotated[float, Field(ge=0)] = 2.0
    aging_per_hour: Annotated[float, Field(ge=0)] = 0.05
    review_group_extra: Annotated[float, Field(ge=0)] = 1.5


class Rereview(_Strict):
    window_s: Annotated[int, Field(ge=0)] = 1209600
    min_new_evidence: PositiveFloat = 1.5
    min_credible_reporters: PositiveInt = 2
    release_on_trusted_flagger: bool = True
    release_on_classifier: bool = True
    live_surfaces: tuple[str, ...] = ("livestream",)
    live_min_reporters: PositiveInt = 2
    live_min_new_evidence: PositiveFloat = 0.4
    relook_min_reporters: Annotated[int, Field(ge=0)] = 5
    relook_min_independent: Annotated[int, Field(ge=0)] = 2
    relook_independent_p_value: Annotated[float, Field(gt=0, lt=1)] = 0.01
    relook_priority_factor: Annotated[float, Field(gt=0, le=1)] = 0.25


class SecondReview(_Strict):
    on_protected_subjects: bool = True
    thin_evidence_below: Annotated[float, Field(ge=0)] = 0.5
    thin_evidence_exempt_surfaces: tuple[str, ...] = ("livestream",)
    thin_evidence_exempt_sources: Annotated[int, Field(ge=0)] = 0
    thin_evidence_max_owner_strikes: Annotated[int, Field(ge=0)] = 0
    campaign_max_owner_strikes: Annotated[int, Field(ge=0)] = 0
    campaign_waiver_sources: Annotated[int, Field(ge=0)] = 2
    campaign_waiver_evidence: PositiveFloat = 1.0
    owner_surge_window_s: PositiveFloat = 3600.0
    owner_surge_subjects: Annotated[int, Field(ge=0)] = 3
    owner_surge_reporters: Annotated[int, Field(ge=0)] = 8
    owner_spread_subjects: Annotated[int, Field(ge=0)] = 2
    owner_spread_reporters: Annotated[int, Field(ge=0)] = 3
    after_clearance: bool = True
    tie_break: bool = True
    rank_boost: Annotated[float, Field(ge=0)] = 20.0


class AutoRestriction(_Strict):
    enabled: bool = True
    min_severity: Severity = "high"
    min_independent: PositiveInt = 3
    min_evidence: PositiveFloat = 1.8
    classifier_min: Annotated[float, Field(gt=0, le=1)] = 0.7
    live_surfaces: tuple[str, ...] = ("livestream",)
    live_min_severity: Severity = "medium"
    live_min_independent: PositiveInt = 2
    live_min_evidence: PositiveFloat = 1.0
    live_spread_window_s: Annotated[int, Field(ge=0)] = 86400
    user_reports_alone: bool = False
    withhold_on_owner_surge: bool = True


class Delivery(_Strict):
    webhook_max_attempts: PositiveInt = 8
    webhook_backoff_base_s: PositiveFloat = 2.0
    webhook_backoff_max_s: PositiveFloat = 3600.0
    webhook_timeout_s: PositiveFloat = 10.0


class RateLimits(_Strict):
    """Limits on the service itself (not on what is judged): a flood from one platform key or one reporter is
    refused with 429 before it costs triage. Checked against the database, so they hold across processes."""

    enabled: bool = True
    service_key_per_s: PositiveFloat = 5000.0
    service_key_burst: PositiveInt = 10000
    reporter_per_minute: PositiveInt = 30
    reporter_per_hour: PositiveInt = 300
    reporter_exempt_sources: tuple[Literal["user", "trusted_flagger", "automated", "remote"], ...] = (
        "trusted_flagger", "automated")
    report_links_per_hour: PositiveInt = 10

    @model_validator(mode="after")
    def _hour_holds_a_minute(self) -> RateLimits:
        if self.reporter_per_hour < self.reporter_per_minute:
            raise ValueError("reporter_per_hour must be at least reporter_per_minute")
        return self


class Policy(_Strict):
    version: Annotated[str, Field(min_length=1, max_length=100)]
    limits: Limits = Limits()
    severities: dict[Severity, PositiveFloat]
    surfaces: dict[str, Surface]
    reasons: dict[str, Reason]
    actions: dict[str, Action]
    strikes: Strikes
    triage: Triage = Triage()
    auto_restriction: AutoRestriction = AutoRestriction()
    rereview: Rereview = Rereview()
    second_review: SecondReview = SecondReview()
    credibility: CredibilitySection = CredibilityPolicy()
    misuse: MisuseSection = MisusePolicy()
    campaigns: CampaignsSection = CampaignPolicy()
    delivery: Delivery = Delivery()
    rate_limits: RateLimits = RateLimits()
    content_hash: str = ""

    @model_validator(mode="after")
    def _complete(self) -> Policy:
        if missing := [s for s in SEVERITY_ORDER if s not in self.severities]:
            raise ValueError(f"severities lacks {missing}")
        weights = [self.severities[s] for s in SEVERITY_ORDER]
        if weights != sorted(weights):
            raise ValueError("severity weights must rise from low to critical")
        if sorted(self.surfaces) != sorted(SURFACES):
            raise ValueError(f"surfaces must be exactly {list(SURFACES)}")
        if missing := [r for r in REQUIRED_REASONS if r not in self.reasons]:
            raise ValueError(f"reasons lacks {missing}")
        if sorted(self.actions) != sorted(ACTION_KINDS):
            raise ValueError(f"actions must be exactly {list(ACTION_KINDS)}")
        for name, action in self.actions.items():
            for surface in action.surfaces or ():
                if surface not in SURFACES:
                    raise ValueError(f"actions.{name}.surfaces names unknown surface {surface!r}")
        for key, surfaces in (("second_review.thin_evidence_exempt_surfaces",
                               self.second_review.thin_evidence_exempt_surfaces),
                              ("rereview.live_surfaces", self.rereview.live_surfaces),
                              ("auto_restriction.live_surfaces", self.auto_restriction.live_surfaces)):
            for surface in surfaces:
                if surface not in SURFACES:
                    raise ValueError(f"{key} names unknown surface {surface!r}")
        return self

    @property
    def full_version(self) -> str:
        """What decisions record: the declared version and the content hash."""
        return f"{self.version}+{self.content_hash}" if self.content_hash else self.version

    def family_of(self, reason: str) -> str:
        return self.reasons[reason].family if reason in self.reasons else "other"

    def reports_per_view(self, reason: str) -> float:
        r = self.reasons.get(reason)
        return r.reports_per_view if r and r.reports_per_view else self.triage.base_reports_per_view

    def severity_of(self, reason: str) -> str:
        return self.reasons[reason].severity

    def review_deadline_s(self, surface: str, severity: str) -> int:
        return self.surfaces[surface].review_deadline_s[severity]  # type: ignore[index]


def _format_validation_error(source: str, error: ValidationError) -> str:
    lines = [f"invalid policy {source}:"]
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(top level)"
        lines.append(f"  {where}: {item['msg']}")
    return "\n".join(lines)


def parse_policy(text: str, source: str = "<string>") -> Policy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"invalid policy {source}: not valid TOML: {exc}") from exc
    data["content_hash"] = hashlib.sha256(text.encode()).hexdigest()[:12]
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(_format_validation_error(source, exc)) from exc


def default_policy_text() -> str:
    return resources.files("fairflag").joinpath("default_policy.toml").read_text(encoding="utf-8")


def load_policy(path: str | Path | None = None) -> Policy:
    """Load and validate the policy; the packaged default when no path is given."""
    if path is None:
        return parse_policy(default_policy_text(), "default_policy.toml")
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"cannot read policy file {p}: {exc.strerror}") from exc
    return parse_policy(text, str(p))
