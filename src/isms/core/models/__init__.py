"""Models of the core app; each module lists its own ``__all__``."""

from .journal import JournalEntry, JournalHead
from .org import OrgUnit, Person, RoleAssignment, RoleDisplayName, SoDWaiver
from .org_history import OrgChange, OrgUnitSuccession, OrgUnitVersion
from .tenancy import ApiToken, Municipality, Prefecture, ServiceAccessGrant, User

__all__ = [
    "ApiToken",
    "JournalEntry",
    "JournalHead",
    "Municipality",
    "OrgChange",
    "OrgUnit",
    "OrgUnitSuccession",
    "OrgUnitVersion",
    "Person",
    "Prefecture",
    "RoleAssignment",
    "RoleDisplayName",
    "ServiceAccessGrant",
    "SoDWaiver",
    "User",
]
