"""Errors of the classification core: one base class; each says what, where and how to fix.

Every error raised for bad input (a data file, a class name, an answer, a decision) is a
:class:`ClassificationError`. ``str(error)`` is the English message; :meth:`render` gives it in
Japanese or English, with where the problem is and a hint on how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AnswerProblem",
    "ClassificationError",
    "DataError",
    "InvalidAnswers",
    "InvalidDecision",
    "MissingReason",
    "UnknownClass",
    "UnknownScheme",
    "UnknownValue",
]


class ClassificationError(Exception):
    """Base class of every input error of the classification core."""

    code = "classification_error"

    def __init__(self, message: str, *, hint: str = "", message_ja: str = "", hint_ja: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.message_ja = message_ja or message
        self.hint_ja = hint_ja or hint

    def where(self) -> str:
        """Return where the problem is (file and path); empty when not about a file."""
        return ""

    def render(self, lang: str = "en") -> str:
        """Return the full message in ``lang`` (``ja`` or ``en``): where, what, how to fix."""
        message, hint = (
            (self.message_ja, self.hint_ja) if lang == "ja" else (self.message, self.hint)
        )
        where = self.where()
        label = "修正方法" if lang == "ja" else "hint"
        text = f"{where}: {message}" if where else message
        return f"{text}\n  {label}: {hint}" if hint else text

    def __str__(self) -> str:
        return self.render("en")


class DataError(ClassificationError):
    """A data file (scheme, mapping, migration, questions, scope) is invalid: file and path."""

    code = "data_error"

    def __init__(
        self,
        message: str,
        *,
        source: str,
        path: str,
        hint: str = "",
        message_ja: str = "",
        hint_ja: str = "",
    ):
        super().__init__(message, hint=hint, message_ja=message_ja, hint_ja=hint_ja)
        self.source = source
        self.path = path

    def where(self) -> str:
        return f"{self.source}: {self.path}" if self.path else self.source


class UnknownScheme(ClassificationError):
    """A classification scheme id that no loaded scheme has."""

    code = "unknown_scheme"

    def __init__(self, scheme: str, known: tuple[str, ...]):
        listed = ", ".join(known)
        super().__init__(
            f"unknown classification scheme '{scheme}'",
            hint=f"use one of: {listed}",
            message_ja=f"分類体系 '{scheme}' は存在しない",
            hint_ja=f"次のいずれかを指定してください: {listed}",
        )
        self.scheme = scheme
        self.known = known


class UnknownClass(ClassificationError):
    """A class name that the scheme does not define on that axis (e.g. 機密性4, or 3A in pre_r6)."""

    code = "unknown_class"

    def __init__(self, *, scheme: str, axis: str, class_id: str, known: tuple[str, ...]):
        listed = ", ".join(known)
        super().__init__(
            f"'{class_id}' is not a {axis} class of scheme '{scheme}'",
            hint=f"use one of: {listed}",
            message_ja=f"'{class_id}' は分類体系 '{scheme}' の {axis} の分類にない",
            hint_ja=f"次のいずれかを指定してください: {listed}",
        )
        self.scheme = scheme
        self.axis = axis
        self.class_id = class_id
        self.known = known


class UnknownValue(ClassificationError):
    """A value outside a closed vocabulary of the data (e.g. an unknown facility or purpose)."""

    code = "unknown_value"

    def __init__(self, *, field: str, value: str, known: tuple[str, ...]):
        listed = ", ".join(known)
        super().__init__(
            f"unknown {field} '{value}'",
            hint=f"use one of: {listed}",
            message_ja=f"{field} の値 '{value}' は定義されていない",
            hint_ja=f"次のいずれかを指定してください: {listed}",
        )
        self.field = field
        self.value = value
        self.known = known


class InvalidDecision(ClassificationError):
    """A migration decision that is not one of the review item's candidate classes."""

    code = "invalid_decision"


class MissingReason(ClassificationError):
    """An override of a suggested class without a (non-blank) reason."""

    code = "missing_reason"


@dataclass(frozen=True)
class AnswerProblem:
    """One problem in the answers to the classification assistant.

    ``code`` is ``unknown_question``, ``missing_answer`` or ``invalid_value``.
    """

    code: str
    question: str
    message_en: str
    message_ja: str


class InvalidAnswers(ClassificationError):
    """The answers to the classification assistant have problems; ``problems`` lists them all."""

    code = "invalid_answers"

    def __init__(self, problems: tuple[AnswerProblem, ...]):
        super().__init__(
            "; ".join(p.message_en for p in problems),
            hint="answer every required question with one of its options, and no other question",
            message_ja="、".join(p.message_ja for p in problems),
            hint_ja="必須の質問にはすべて選択肢から回答し、定義にない質問には回答しないでください",
        )
        self.problems = problems
