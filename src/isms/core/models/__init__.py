"""Models of the core app; each module lists its own ``__all__``."""

from .journal import JournalEntry, JournalHead
from .org import OrgUnit, Person, RoleAssignment, RoleDisplayName, SoDWaiver
from .tenancy import ApiToken, Municipality, Prefecture, ServiceAccessGrant, User

__all__ = [
    "ApiToken",
    "JournalEntry",
    "JournalHead",
    "Municipality",
    "OrgUnit",
    "Person",
    "Prefecture",
    "RoleAssignment",
    "RoleDisplayName",
    "ServiceAccessGrant",
    "SoDWaiver",
    "User",
]
