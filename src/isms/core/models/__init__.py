"""Models of the core app; each module lists its own ``__all__``."""

from .imports import ImportJob
from .journal import JournalEntry, JournalHead
from .org import Delegation, OrgUnit, Person, RoleAssignment, RoleDisplayName, SoDWaiver
from .org_history import OrgChange, OrgUnitSuccession, OrgUnitVersion, PlannedOrgChange
from .tenancy import ApiToken, Municipality, Prefecture, ServiceAccessGrant, User

__all__ = [
    "ApiToken",
    "Delegation",
    "ImportJob",
    "JournalEntry",
    "JournalHead",
    "Municipality",
    "OrgChange",
    "OrgUnit",
    "OrgUnitSuccession",
    "OrgUnitVersion",
    "Person",
    "PlannedOrgChange",
    "Prefecture",
    "RoleAssignment",
    "RoleDisplayName",
    "ServiceAccessGrant",
    "SoDWaiver",
    "User",
]
