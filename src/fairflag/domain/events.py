"""Event kinds: namespaced ``actor:entity:action`` tags for the append-only event log.

Every moderation fact is one of these. The log doubles as the audit trail: who (actor), what
(kind, entity), when (occurred_at, recorded_at), under which policy version.
"""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    account_upserted = "platform:account:upserted"
    subject_upserted = "platform:subject:upserted"
    report_filed = "platform:report:filed"
    report_withdrawn = "platform:report:withdrawn"
    case_opened = "system:case:opened"
    case_reprioritised = "system:case:reprioritised"
    case_hold_released = "system:case:hold_released"
    case_claimed = "moderator:case:claimed"
    case_released = "moderator:case:released"
    case_decided = "moderator:case:decided"
    case_second_review_requested = "moderator:case:second_review_requested"
    case_tie_break_requested = "moderator:case:tie_break_requested"
    report_outcome_set = "system:report:outcome_set"
    action_applied = "system:action:applied"
    action_expired = "system:action:expired"
    action_reversed = "system:action:reversed"
    strike_issued = "system:strike:issued"
    strike_removed = "system:strike:removed"
    appeal_filed = "platform:appeal:filed"
    appeal_resolved = "senior:appeal:resolved"
    reporter_warned = "system:reporter:warned"
    reporter_suspended = "system:reporter:suspended"
    campaign_detected = "system:campaign:detected"
    campaign_updated = "system:campaign:updated"
    campaign_confirmed = "senior:campaign:confirmed"
    campaign_dismissed = "senior:campaign:dismissed"
    action_lifted = "system:action:lifted"
    service_key_created = "admin:service_key:created"
    service_key_revoked = "admin:service_key:revoked"
    user_created = "admin:user:created"
    webhook_endpoint_created = "admin:webhook_endpoint:created"
    delivery_resent = "admin:delivery:resent"
    report_link_issued = "platform:report_link:issued"
    account_block_requested = "reporter:account:block_requested"
    triage_row_set_aside = "system:triage_log:set_aside"
