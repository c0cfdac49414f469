"""Classification core of the information asset register: pure Python, never imports Django.

Classification schemes are versioned data (``data/schemes/pre_r6.yaml``, ``r6_10.yaml``); the
取扱制限 of an asset are derived from its classes, never typed by hand; a register migrates
from pre_r6 to r6_10 with a review list for the ambiguous classes; an assistant suggests classes
from plain questions; consistency checks and the scope decision (基本方針 2.4) are pure
functions::

    >>> from isms.assets.classification import (
    ...     AssetFacts, Axis, Classification, HandlingStage, derive_handling,
    ...     migrate_classification, resolve_review_item)
    >>> rules = derive_handling(Classification("pre_r6", "3", "2", "2"))
    >>> rules.needs_approval(HandlingStage.DISPOSE)
    True
    >>> outcome = migrate_classification(
    ...     Classification("pre_r6", "3", "2", "1"),
    ...     facts=AssetFacts(holds_personal_info=True, holds_specific_personal_info=True))
    >>> outcome.pending[0].candidates, outcome.pending[0].suggested
    (('3A', '3B', '3C'), '3B')
    >>> resolve_review_item(outcome, Axis.CONFIDENTIALITY, "3B").classification
    Classification(scheme='r6_10', confidentiality='3B', integrity='2', availability='1')

See ``docs/assets-classification.md`` for the data formats, the rules and every error.
"""

from __future__ import annotations

from isms.assets.classification.asset import AssetFacts, AssetKind, AssetStatus, Segment
from isms.assets.classification.assistant import (
    Answer,
    ClassReason,
    Option,
    Override,
    Question,
    QuestionSet,
    Suggestion,
    default_questions,
    load_questions,
    load_questions_text,
    record_override,
    suggest_classification,
    validate_answers,
)
from isms.assets.classification.consistency import (
    CHECKS,
    Inconsistency,
    Severity,
    check_asset,
)
from isms.assets.classification.duplicates import AssetIdentity, likely_duplicates
from isms.assets.classification.errors import (
    AnswerProblem,
    ClassificationError,
    DataError,
    InvalidAnswers,
    InvalidDecision,
    MissingReason,
    UnknownClass,
    UnknownScheme,
    UnknownValue,
)
from isms.assets.classification.handling import (
    AppliedRestriction,
    HandlingCategory,
    HandlingCategoryMap,
    HandlingRules,
    default_handling_categories,
    derive_handling,
    handling_category,
    load_handling_categories,
    load_handling_categories_text,
)
from isms.assets.classification.loader import (
    BUILTIN_SCHEMES,
    get_scheme,
    load_scheme,
    load_scheme_text,
)
from isms.assets.classification.migration import (
    MigrationHint,
    MigrationOutcome,
    MigrationRules,
    ReviewDecision,
    ReviewItem,
    default_migration,
    load_migration,
    load_migration_text,
    migrate_classification,
    resolve_review_item,
)
from isms.assets.classification.model import (
    PRE_R6,
    R6_10,
    Axis,
    Classification,
    ClassificationScheme,
    ClassLevel,
    Confidence,
    HandlingRestriction,
    HandlingStage,
    Scale,
    Source,
)
from isms.assets.classification.scope import (
    ScopeDecision,
    ScopeExclusion,
    ScopeRules,
    decide_scope,
    default_scope_rules,
    load_scope_rules,
    load_scope_rules_text,
)

__all__ = [
    "BUILTIN_SCHEMES",
    "CHECKS",
    "PRE_R6",
    "R6_10",
    "Answer",
    "AnswerProblem",
    "AppliedRestriction",
    "AssetFacts",
    "AssetIdentity",
    "AssetKind",
    "AssetStatus",
    "Axis",
    "ClassLevel",
    "ClassReason",
    "Classification",
    "ClassificationError",
    "ClassificationScheme",
    "Confidence",
    "DataError",
    "HandlingCategory",
    "HandlingCategoryMap",
    "HandlingRestriction",
    "HandlingRules",
    "HandlingStage",
    "Inconsistency",
    "InvalidAnswers",
    "InvalidDecision",
    "MigrationHint",
    "MigrationOutcome",
    "MigrationRules",
    "MissingReason",
    "Option",
    "Override",
    "Question",
    "QuestionSet",
    "ReviewDecision",
    "ReviewItem",
    "Scale",
    "ScopeDecision",
    "ScopeExclusion",
    "ScopeRules",
    "Segment",
    "Severity",
    "Source",
    "Suggestion",
    "UnknownClass",
    "UnknownScheme",
    "UnknownValue",
    "check_asset",
    "decide_scope",
    "default_handling_categories",
    "default_migration",
    "default_questions",
    "default_scope_rules",
    "derive_handling",
    "get_scheme",
    "handling_category",
    "likely_duplicates",
    "load_handling_categories",
    "load_handling_categories_text",
    "load_migration",
    "load_migration_text",
    "load_questions",
    "load_questions_text",
    "load_scheme",
    "load_scheme_text",
    "load_scope_rules",
    "load_scope_rules_text",
    "migrate_classification",
    "record_override",
    "resolve_review_item",
    "suggest_classification",
    "validate_answers",
]
