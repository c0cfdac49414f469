"""The organisation the policy binds: org units, people (職員等), and who holds which role."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..kana import fold, sort_key
from ..roles import Role
from .tenancy import Municipality, User

__all__ = ["Delegation", "OrgUnit", "Person", "RoleAssignment", "RoleDisplayName", "SoDWaiver"]


def search_key_of(
    family: str, given: str, family_kana: str, given_kana: str, employee_number: str
) -> str:
    """Return the folded text a people search matches against (name, furigana, number)."""
    parts = (family + given, family_kana + given_kana, employee_number)
    return "|".join(fold(p) for p in parts)[:400]


class OrgUnit(models.Model):
    """A 部局 / 課 / 係 of a municipality, in a tree."""

    class Kind(models.TextChoices):
        BUREAU = "bureau", _("Bureau")
        DIVISION = "division", _("Division")
        SECTION = "section", _("Section")

    class OrganKind(models.TextChoices):
        """The administrative organs of seed 2.4(1)."""

        MAYOR_DEPARTMENTS = "mayor_departments", _("Mayor's departments")
        ADMINISTRATIVE_COMMITTEE = "administrative_committee", _("Administrative committee")
        ASSEMBLY_SECRETARIAT = "assembly_secretariat", _("Assembly secretariat")
        LAND_DEVELOPMENT_CORPORATION = (
            "land_development_corporation",
            _("Land development corporation"),
        )
        PUBLIC_ENTERPRISE = "public_enterprise", _("Local public enterprise")
        FIRE_HEADQUARTERS = "fire_headquarters", _("Fire department headquarters")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="org_units"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    code = models.CharField(_("unit code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    name_kana = models.CharField(_("name (kana)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    organ_kind = models.CharField(_("organ"), max_length=40, choices=OrganKind.choices)
    in_scope = models.BooleanField(
        _("in scope of the policy"),
        default=True,
        help_text=_("Off for units whose assets the basic policy excludes (seed 2.4(2))."),
    )
    sort_order = models.PositiveIntegerField(_("display order"), default=0)
    abolished_on = models.DateField(
        _("abolished on"),
        null=True,
        blank=True,
        help_text=_("Set by a merge or abolition: the first day the unit no longer exists."),
    )

    class Meta:
        ordering = ["municipality_id", "sort_order", "code"]
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="orgunit_code_unique"),
            models.UniqueConstraint(
                fields=["municipality", "parent", "name"], name="orgunit_sibling_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """One of the 職員等 bound by the policy (seed 2.5), with an optional login."""

    class StaffCategory(models.TextChoices):
        REGULAR = "regular", _("Regular employee")
        PART_TIME = "part_time", _("Part-time employee")
        FISCAL_YEAR_APPOINTED = "fiscal_year_appointed", _("Fiscal-year appointed employee")
        EXTERNAL_BODY = "external_body", _("Staff of an external body")
        CONTRACTOR = "contractor", _("Contractor staff")

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="people")
    employee_number = models.CharField(_("employee number"), max_length=20)
    family_name = models.CharField(_("family name"), max_length=50)
    given_name = models.CharField(_("given name"), max_length=50)
    family_name_kana = models.CharField(_("family name (furigana)"), max_length=100)
    given_name_kana = models.CharField(_("given name (furigana)"), max_length=100)
    staff_category = models.CharField(
        _("staff category"), max_length=30, choices=StaffCategory.choices
    )
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("org unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    email = models.EmailField(_("email"), blank=True)
    user = models.OneToOneField(
        User,
        verbose_name=_("login"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
    )
    employment_end = models.DateField(
        _("end of employment"),
        null=True,
        blank=True,
        help_text=_("For fiscal-year appointed and contractor staff; the login expires after it."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Derived on every save (kana.fold): never edited, never shown.
    search_key = models.CharField(max_length=400, blank=True, default="", editable=False)
    sort_key = models.CharField(max_length=210, blank=True, default="", editable=False)

    class Meta:
        ordering = ["municipality_id", "sort_key", "employee_number"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "employee_number"], name="person_employee_number_unique"
            )
        ]
        indexes = [
            models.Index(fields=["municipality", "family_name_kana", "given_name_kana"]),
            models.Index(
                fields=["municipality", "sort_key", "employee_number"], name="person_sort_key_idx"
            ),
            models.Index(fields=["municipality", "search_key"], name="person_search_key_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.family_name} {self.given_name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.refresh_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_key", "sort_key"}
        super().save(*args, **kwargs)

    def refresh_keys(self) -> None:
        """Recompute ``search_key`` and ``sort_key`` from the names (see ``core.kana``)."""
        self.search_key = search_key_of(
            self.family_name,
            self.given_name,
            self.family_name_kana,
            self.given_name_kana,
            self.employee_number,
        )
        self.sort_key = sort_key(self.family_name_kana, self.given_name_kana)[:210]

    @property
    def full_name(self) -> str:
        return f"{self.family_name} {self.given_name}"


class RoleAssignment(models.Model):
    """A person holds a role for an org unit (or the whole municipality) over a period.

    Assigned per fiscal year (4/1–3/31) or for an explicit date range; ``end_date`` is inclusive
    and empty means open-ended.
    """

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="role_assignments"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=40, choices=Role.choices)
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("org unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_assignments",
        help_text=_("Empty for roles held for the whole municipality."),
    )
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"), null=True, blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["municipality_id", "role", "start_date"]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        indexes = [
            models.Index(fields=["municipality", "role", "start_date"]),
            models.Index(fields=["person", "start_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="roleassignment_period_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} – {self.get_role_display()}"

    def is_active_on(self, day: datetime.date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


class RoleDisplayName(models.Model):
    """A municipality's own name for a role (e.g. 情報管理者 for 情報セキュリティ管理者)."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="role_display_names"
    )
    role = models.CharField(_("role"), max_length=40, choices=Role.choices)
    name_ja = models.CharField(_("name in Japanese"), max_length=100)
    name_en = models.CharField(_("name in English"), max_length=100, blank=True)

    class Meta:
        ordering = ["municipality_id", "role"]
        verbose_name = _("role display name")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "role"], name="roledisplayname_unique")
        ]

    def __str__(self) -> str:
        return self.name_ja


class SoDWaiver(models.Model):
    """A recorded exception to 兼務の禁止 (the やむを得ない場合), with its reason.

    ``subject`` names what the waiver is for (e.g. ``"core.roleassignment:42"``), so that a
    waiver granted for one approval never covers another.
    """

    class Kind(models.TextChoices):
        APPLICANT_APPROVER = "applicant_approver", _("Applicant and approver are the same person")
        AUDITOR_AUDITEE = "auditor_auditee", _("Auditor belongs to the audited unit")

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="sod_waivers")
    subject = models.CharField(_("subject"), max_length=100)
    reason = models.TextField(_("reason"))
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-granted_at"]
        verbose_name = _("separation-of-duties waiver")
        indexes = [models.Index(fields=["municipality", "kind", "subject"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"


class Delegation(models.Model):
    """代理・代決: while the holder of a role is absent, a named deputy acts in that role.

    The deputy holds the role of one assignment (``assignment``), for the days from
    ``start_date`` to ``end_date`` inclusive, and only while that assignment itself is in force;
    a deputy's own deputy gets nothing (rights come from assignments, never from delegations).
    Whatever the deputy does in that capacity is journaled as done on the holder's behalf.
    """

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    assignment = models.ForeignKey(
        RoleAssignment,
        verbose_name=_("role delegated"),
        on_delete=models.PROTECT,
        related_name="delegations",
    )
    deputy = models.ForeignKey(
        Person, verbose_name=_("deputy"), on_delete=models.PROTECT, related_name="deputising"
    )
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"))
    reason = models.CharField(_("reason"), max_length=200)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-start_date", "pk"]
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        indexes = [models.Index(fields=["deputy", "start_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="delegation_period_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.deputy} ← {self.assignment}"

    def is_active_on(self, day: datetime.date) -> bool:
        return (
            self.revoked_at is None
            and self.start_date <= day <= self.end_date
            and self.assignment.is_active_on(day)
        )
