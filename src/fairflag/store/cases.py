"""Loading and saving the case projection around the pure reducer."""

from __future__ import annotations

from sqlalchemy import bindparam, literal_column, select
from sqlalchemy.orm import Session

from fairflag.domain.cases import CaseEvent, CaseState, apply
from fairflag.domain.enums import CaseStatus
from fairflag.domain.errors import NotFound
from fairflag.store.tables import Case


class CaseNotFound(NotFound):
    code = "case_not_found"


def to_state(row: Case) -> CaseState:
    return CaseState(
        id=row.id, subject_id=row.subject_id, status=CaseStatus(row.status), opened_at=row.opened_at,
        updated_at=row.updated_at, report_count=row.report_count, withdrawn_count=row.withdrawn_count,
        claimed_by=row.claimed_by, lease_expires_at=row.lease_expires_at, decided_at=row.decided_at,
        decision_id=row.decision_id, first_opinion_by=row.first_opinion_by, second_opinion_by=row.second_opinion_by,
    )


# "The case is open", written as the constant the partial unique index ``uq_cases_open_subject`` is defined with
# (``status = 'open'``). A planner may use a partial index only when the query's WHERE implies the index's; a
# bound parameter implies it only when the planner sees its value. SQLite does (it re-plans with the bound
# values), but a PostgreSQL generic plan (psycopg prepares a statement after five executions) cannot: forced, it
# served "the subject's open case" from ``ix_cases_rank (status)``, visiting every open case for each report (a
# queue of thousands under a flood; the follow-ups held for 14 days in every long history). With the constant,
# both find the one row by subject in the partial index, whatever the queue holds (tests/test_query_plans.py).
IS_OPEN = Case.status == literal_column(f"'{CaseStatus.open.value}'")

# Built once: these run on every report and every decision (building a statement costs more than running it).
_LOCK = select(Case).where(Case.id == bindparam("case_id")).with_for_update()
_OPEN_FOR_SUBJECT = select(Case).where(Case.subject_id == bindparam("subject_id"), IS_OPEN).with_for_update()


def lock(session: Session, case_id: str) -> Case:
    """The case row, locked for this transaction on PostgreSQL (SQLite's writer lock covers it)."""
    row = session.scalars(_LOCK, {"case_id": case_id}).first()
    if row is None:
        raise CaseNotFound(f"no case {case_id}", field="case_id")
    return row


def open_case_for_subject(session: Session, subject_id: str) -> Case | None:
    return session.scalars(_OPEN_FOR_SUBJECT, {"subject_id": subject_id}).first()


def open_cases_for_subjects(session: Session, subject_ids: list[str]) -> dict[str, Case]:
    """The open case of each of these subjects that has one, locked, in one query (subjects in ascending order,
    as the caller locked the subjects themselves)."""
    wanted = sorted(set(subject_ids))
    if len(wanted) == 1:  # the single report's statement, already prepared
        row = open_case_for_subject(session, wanted[0])
        return {row.subject_id: row} if row is not None else {}
    found: dict[str, Case] = {}
    for start in range(0, len(wanted), 500):
        query = (select(Case).where(Case.subject_id.in_(wanted[start:start + 500]), IS_OPEN)
                 .order_by(Case.subject_id).with_for_update())
        for row in session.scalars(query):
            found[row.subject_id] = row
    return found


def transition(session: Session, row: Case, event: CaseEvent) -> CaseState:
    """Apply one event through the reducer and write the result onto the row.

    The caller holds the row's lock (:func:`lock`, :func:`open_case_for_subject`: ``FOR UPDATE`` on
    PostgreSQL; SQLite's single writer covers it), so no one else can have changed it since it was read; the
    row is written with the rest of the unit of work, in one UPDATE. ``version`` still counts every write.
    """
    new = apply(to_state(row), event)
    row.status = new.status.value
    row.updated_at = new.updated_at
    row.report_count = new.report_count
    row.withdrawn_count = new.withdrawn_count
    row.claimed_by = new.claimed_by
    row.lease_expires_at = new.lease_expires_at
    row.decided_at = new.decided_at
    row.decision_id = new.decision_id
    row.first_opinion_by = new.first_opinion_by
    row.second_opinion_by = new.second_opinion_by
    row.version = row.version + 1
    return new
