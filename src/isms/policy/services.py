"""Writes of the policy app."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from isms.core import journal
from isms.core.models import Municipality, User
from isms.core.permissions import Action, require

from .models import BasicPolicy, PolicySection


def _check_section(i: int, s: Any) -> None:
    if not isinstance(s, dict) or not isinstance(s.get("number"), str) or not s.get("title"):
        raise ValidationError(
            _("Section %(n)s of the basic policy needs a number and a title.") % {"n": i + 1}
        )
    for c in s.get("clauses", []):
        if not isinstance(c, dict) or not isinstance(c.get("paragraphs", []), list):
            raise ValidationError(_("A clause of section %(n)s is malformed.") % {"n": s["number"]})


def load_basic_policy(
    actor: User | None, municipality: Municipality, document: dict[str, Any]
) -> BasicPolicy:
    """Load (or reload) one version of the basic policy from its structured form.

    Idempotent: loading the same version again replaces its sections. The loaded version
    becomes the current one.
    """
    if actor is not None:
        require(actor, Action.MANAGE_MUNICIPALITY, municipality)
    sections = document.get("sections")
    if not isinstance(sections, list) or not sections:
        raise ValidationError(_("The basic policy has no sections."))
    for i, s in enumerate(sections):
        _check_section(i, s)
    with transaction.atomic():
        policy, created = BasicPolicy.objects.get_or_create(
            municipality=municipality,
            version=str(document.get("version", "1")),
            defaults={"title": document.get("title", "")},
        )
        before = None if created else journal.snapshot(policy)
        policy.title = str(document.get("title", policy.title))
        policy.guideline_edition = str(document.get("guideline_edition", ""))
        policy.is_current = True
        policy.save()
        BasicPolicy.objects.filter(municipality=municipality).exclude(pk=policy.pk).update(
            is_current=False
        )
        policy.sections.all().delete()
        PolicySection.objects.bulk_create(
            PolicySection(
                policy=policy,
                number=s["number"],
                title=s["title"],
                paragraphs=list(s.get("paragraphs", [])),
                clauses=list(s.get("clauses", [])),
                position=i,
            )
            for i, s in enumerate(sections)
        )
        after = journal.snapshot(policy)
        after["sections"] = [s["number"] for s in sections]
        journal.record(
            actor=actor,
            action="basic_policy.load",
            obj=policy,
            before=before,
            after=after,
            system="demo" if actor is None else None,
        )
    return policy


def record_policy_review(
    actor: User | None, municipality: Municipality, *, fiscal_year: int, conclusion: str
) -> Any:
    """Record the committee's review of a fiscal year (seed 2.8) with the year's risk analysis.

    The risk analysis is recorded (or brought up to date) in the same transaction, and its
    figures are kept with the review.
    """
    from isms.risks.services import record_analysis

    from .models import PolicyReview

    if actor is not None:
        require(actor, Action.MANAGE_POLICY_REVIEW, municipality=municipality)
    text = (conclusion or "").strip()
    if not text:
        message = _("Write the committee's conclusion: keep the policy, or what to revise.")
        raise ValidationError({"conclusion": message})
    if len(text) > 10000:
        raise ValidationError({"conclusion": _("The text is too long (at most 10000 characters).")})
    with transaction.atomic():
        analysis = record_analysis(actor, municipality, fiscal_year=fiscal_year)
        review = (
            PolicyReview.objects.select_for_update()
            .filter(municipality=municipality, fiscal_year=fiscal_year)
            .first()
        )
        before = journal.snapshot(review) if review is not None else None
        if review is None:
            review = PolicyReview(municipality=municipality, fiscal_year=fiscal_year)
        review.conclusion = text
        review.analysis = analysis.summary
        review.reviewed_by = actor
        review.save()
        journal.record(
            actor=actor,
            action="policy_review.record",
            obj=review,
            before=before,
            after=journal.snapshot(review),
        )
    return review
