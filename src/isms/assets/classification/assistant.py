"""The classification assistant: plain questions in, suggested classes with reasons out.

The questions and the rules are data (``data/questions.yaml``). :func:`suggest_classification`
checks the answers (unknown question, missing required answer, value not an option: all
reported at once in :class:`InvalidAnswers`), then for each axis tries the scheme's rules in
order; the first whose conditions hold gives the class and the criterion that led there.
Confirming is the caller's job; :func:`record_override` replaces a suggested class only with a
non-blank reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from isms.assets.classification._data import data_text, read_document, read_path
from isms.assets.classification.errors import (
    AnswerProblem,
    DataError,
    InvalidAnswers,
    MissingReason,
    UnknownScheme,
)
from isms.assets.classification.loader import get_scheme
from isms.assets.classification.model import (
    Axis,
    Classification,
    ClassificationScheme,
    Source,
)

__all__ = [
    "Answer",
    "ClassReason",
    "Option",
    "Override",
    "Question",
    "QuestionSet",
    "Suggestion",
    "default_questions",
    "load_questions",
    "load_questions_text",
    "record_override",
    "suggest_classification",
    "validate_answers",
]

Answer = bool | str
Expected = bool | str | tuple[str, ...]
Condition = tuple[tuple[str, Expected], ...]


@dataclass(frozen=True)
class Option:
    """One option of a choice question."""

    id: str
    label_ja: str
    label_en: str


@dataclass(frozen=True)
class Question:
    """One question; ``kind`` is ``yes_no`` (answer ``True``/``False``) or ``choice``."""

    id: str
    kind: str
    required: bool
    text_ja: str
    text_en: str
    help_ja: str = ""
    help_en: str = ""
    options: tuple[Option, ...] = ()
    ask_if: Condition = ()


@dataclass(frozen=True)
class _Rule:
    id: str
    when: Condition
    class_id: str
    because_ja: str
    because_en: str
    source: Source


@dataclass(frozen=True)
class QuestionSet:
    """The questions and, per scheme and axis, the ordered rules."""

    id: str
    version: int
    questions: tuple[Question, ...]
    rules: tuple[tuple[str, Axis, tuple[_Rule, ...]], ...]

    @property
    def schemes(self) -> tuple[str, ...]:
        """Return the scheme ids the set has rules for."""
        return tuple(dict.fromkeys(scheme for scheme, _axis, _rules in self.rules))

    def question(self, question_id: str) -> Question | None:
        """Return the question ``question_id``, or ``None``."""
        return next((q for q in self.questions if q.id == question_id), None)

    def rules_for(self, scheme_id: str, axis: Axis) -> tuple[_Rule, ...]:
        """Return the rules of ``scheme_id`` for ``axis`` (``UnknownScheme`` if none)."""
        for scheme, current, rules in self.rules:
            if scheme == scheme_id and current is axis:
                return rules
        raise UnknownScheme(scheme_id, self.schemes)


@dataclass(frozen=True)
class ClassReason:
    """Why the assistant suggests ``class_id`` on ``axis``: the rule and the class criteria."""

    axis: Axis
    class_id: str
    rule_id: str
    because_ja: str
    because_en: str
    criteria_ja: str
    criteria_en: str
    source: Source


@dataclass(frozen=True)
class Override:
    """A class the user chose instead of the suggestion, with the reason."""

    axis: Axis
    suggested: str
    chosen: str
    reason: str


@dataclass(frozen=True)
class Suggestion:
    """The assistant's suggestion, the answers it rests on and the user's overrides."""

    suggested: Classification
    reasons: tuple[ClassReason, ...]
    answers: tuple[tuple[str, Answer], ...]
    overrides: tuple[Override, ...] = ()

    def reason(self, axis: Axis) -> ClassReason:
        """Return the reason for the class suggested on ``axis``."""
        return next(r for r in self.reasons if r.axis is axis)

    @property
    def classification(self) -> Classification:
        """Return the classification after the overrides (the suggestion if none)."""
        chosen = {axis: self.suggested.get(axis) for axis in Axis}
        for override in self.overrides:
            chosen[override.axis] = override.chosen
        return Classification(
            self.suggested.scheme,
            chosen[Axis.CONFIDENTIALITY],
            chosen[Axis.INTEGRITY],
            chosen[Axis.AVAILABILITY],
        )


@cache
def default_questions() -> QuestionSet:
    """Return the question set shipped with the package."""
    text, source = data_text("questions.yaml")
    return load_questions_text(text, source=source)


def load_questions(
    path: str | Path, *, schemes: Mapping[str, ClassificationScheme] | None = None
) -> QuestionSet:
    """Read and check a question set from ``path``."""
    text, source = read_path(path)
    return load_questions_text(text, source=source, schemes=schemes)


def load_questions_text(
    text: str, *, source: str, schemes: Mapping[str, ClassificationScheme] | None = None
) -> QuestionSet:
    """Check and build a question set from YAML text.

    Conditions may name only defined questions with values they allow; rules give classes the
    scheme defines; each axis's last rule holds always. ``schemes`` supplies schemes other than
    the built-in ones.
    """
    document = read_document(text, source=source, schema_name="questions")
    return _QuestionBuilder(document, source, schemes or {}).build()


def validate_answers(
    answers: Mapping[str, Answer], questions: QuestionSet | None = None
) -> dict[str, Answer]:
    """Return the answers normalised (``"yes"``/``"no"`` → ``True``/``False``), or raise.

    Raises :class:`InvalidAnswers` listing every unknown question, missing required answer
    and value that is not one of the question's options.
    """
    questions = questions or default_questions()
    problems: list[AnswerProblem] = []
    normalised: dict[str, Answer] = {}
    for question_id, value in answers.items():
        question = questions.question(question_id)
        if question is None:
            problems.append(
                AnswerProblem(
                    "unknown_question",
                    question_id,
                    f"unknown question '{question_id}'",
                    f"質問 '{question_id}' は定義されていない",
                )
            )
            continue
        checked = _check_value(question, value)
        if checked is None:
            allowed = (
                "yes, no"
                if question.kind == "yes_no"
                else ", ".join(o.id for o in question.options)
            )
            problems.append(
                AnswerProblem(
                    "invalid_value",
                    question_id,
                    f"'{value}' is not an answer to '{question_id}' (allowed: {allowed})",
                    f"'{value}' は質問 '{question_id}' の回答として使えない（選択肢: {allowed}）",
                )
            )
            continue
        normalised[question_id] = checked
    for question in questions.questions:
        asked = _holds(question.ask_if, normalised)
        if question.required and asked and question.id not in answers:
            problems.append(
                AnswerProblem(
                    "missing_answer",
                    question.id,
                    f"question '{question.id}' needs an answer: {question.text_en}",
                    f"質問 '{question.id}' に回答が必要: {question.text_ja}",
                )
            )
    if problems:
        raise InvalidAnswers(tuple(problems))
    return normalised


def suggest_classification(
    answers: Mapping[str, Answer],
    *,
    scheme: str | ClassificationScheme,
    questions: QuestionSet | None = None,
) -> Suggestion:
    """Return the classes the answers point to under ``scheme``, each with its reason."""
    questions = questions or default_questions()
    resolved = scheme if isinstance(scheme, ClassificationScheme) else get_scheme(scheme)
    normalised = validate_answers(answers, questions)
    reasons: list[ClassReason] = []
    for axis in Axis:
        rule = next(r for r in questions.rules_for(resolved.id, axis) if _holds(r.when, normalised))
        level = resolved.level(axis, rule.class_id)
        reasons.append(
            ClassReason(
                axis=axis,
                class_id=rule.class_id,
                rule_id=rule.id,
                because_ja=rule.because_ja,
                because_en=rule.because_en,
                criteria_ja=level.criteria_ja,
                criteria_en=level.criteria_en,
                source=rule.source,
            )
        )
    c, i, a = (r.class_id for r in reasons)
    return Suggestion(
        suggested=Classification(resolved.id, c, i, a),
        reasons=tuple(reasons),
        answers=tuple(sorted(normalised.items())),
    )


def record_override(
    suggestion: Suggestion,
    axis: Axis,
    class_id: str,
    *,
    reason: str,
    scheme: ClassificationScheme | None = None,
) -> Suggestion:
    """Return ``suggestion`` with ``axis`` set to ``class_id``; a non-blank reason is required."""
    if not reason.strip():
        raise MissingReason(
            f"overriding the suggested {axis.value} class needs a reason",
            hint="say why the suggested class does not fit this asset",
            message_ja="提案された分類を変更するには理由が必要",
            hint_ja="提案された分類がこの情報資産に合わない理由を記入してください",
        )
    scheme = scheme or get_scheme(suggestion.suggested.scheme)
    scheme.level(axis, class_id)
    override = Override(
        axis=axis,
        suggested=suggestion.suggested.get(axis),
        chosen=class_id,
        reason=reason.strip(),
    )
    kept = tuple(o for o in suggestion.overrides if o.axis is not axis)
    return replace(suggestion, overrides=(*kept, override))


_YES = {"yes", "y", "true", "はい"}
_NO = {"no", "n", "false", "いいえ"}


def _check_value(question: Question, value: object) -> Answer | None:
    if question.kind == "yes_no":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _YES:
            return True
        if isinstance(value, str) and value.strip().lower() in _NO:
            return False
        return None
    if isinstance(value, str) and value in {o.id for o in question.options}:
        return value
    return None


def _holds(when: Condition, answers: Mapping[str, Answer]) -> bool:
    for question_id, expected in when:
        if question_id not in answers:
            return False
        given = answers[question_id]
        if isinstance(expected, tuple):
            if given not in expected:
                return False
        elif given != expected:
            return False
    return True


class _QuestionBuilder:
    def __init__(
        self,
        document: dict[str, Any],
        source: str,
        schemes: Mapping[str, ClassificationScheme],
    ):
        self.doc = document
        self.source = source
        self.schemes = schemes
        self.questions: dict[str, Question] = {}

    def fail(self, path: str, message: str, hint: str, message_ja: str) -> DataError:
        return DataError(message, source=self.source, path=path, hint=hint, message_ja=message_ja)

    def build(self) -> QuestionSet:
        for index, item in enumerate(self.doc["questions"]):
            path = f"questions[{index}]"
            if item["id"] in self.questions:
                raise self.fail(
                    f"{path}.id",
                    f"question '{item['id']}' is defined twice",
                    "give each question its own id",
                    f"質問 '{item['id']}' が二重に定義されている",
                )
            options = tuple(
                Option(o["id"], o["label_ja"], o["label_en"]) for o in item.get("options", ())
            )
            question = Question(
                id=item["id"],
                kind=item["kind"],
                required=item["required"],
                text_ja=item["text_ja"],
                text_en=item["text_en"],
                help_ja=item.get("help_ja", ""),
                help_en=item.get("help_en", ""),
                options=options,
            )
            # ask_if may only refer to questions asked before this one.
            ask_if = self.condition(item.get("ask_if", {}), f"{path}.ask_if")
            self.questions[question.id] = replace(question, ask_if=ask_if)
        rules: list[tuple[str, Axis, tuple[_Rule, ...]]] = []
        for scheme_id, axes in self.doc["rules"].items():
            scheme = self.scheme(scheme_id)
            for axis in Axis:
                path = f"rules.{scheme_id}.{axis.value}"
                built = tuple(
                    self.rule(scheme, axis, item, f"{path}[{index}]")
                    for index, item in enumerate(axes[axis.value])
                )
                if built[-1].when:
                    raise self.fail(
                        f"{path}[{len(built) - 1}].when",
                        "the last rule of an axis must always hold",
                        "end the list with a rule whose 'when' is {}",
                        "各軸の最後の規則は無条件（when: {}）にしてください",
                    )
                rules.append((scheme_id, axis, built))
        return QuestionSet(
            id=self.doc["id"],
            version=self.doc["version"],
            questions=tuple(self.questions.values()),
            rules=tuple(rules),
        )

    def scheme(self, scheme_id: str) -> ClassificationScheme:
        if scheme_id in self.schemes:
            return self.schemes[scheme_id]
        try:
            return get_scheme(scheme_id)
        except UnknownScheme as exc:
            raise self.fail(f"rules.{scheme_id}", exc.message, exc.hint, exc.message_ja) from None

    def rule(
        self, scheme: ClassificationScheme, axis: Axis, item: dict[str, Any], path: str
    ) -> _Rule:
        class_id = item["class"]
        if class_id not in scheme.scale(axis).class_ids:
            known = ", ".join(scheme.scale(axis).class_ids)
            raise self.fail(
                f"{path}.class",
                f"'{class_id}' is not a {axis.value} class of scheme '{scheme.id}'",
                f"use one of: {known}",
                f"'{class_id}' は分類体系 '{scheme.id}' の {axis.value} の分類にない",
            )
        return _Rule(
            id=item["id"],
            when=self.condition(item["when"], f"{path}.when"),
            class_id=class_id,
            because_ja=item["because_ja"],
            because_en=item["because_en"],
            source=Source(item["source"]),
        )

    def condition(self, when: dict[str, Any], path: str) -> Condition:
        out: list[tuple[str, Expected]] = []
        for question_id, expected in when.items():
            question = self.questions.get(question_id)
            where = f"{path}.{question_id}"
            if question is None:
                raise self.fail(
                    where,
                    f"unknown question '{question_id}'",
                    f"use one of the questions defined before: {', '.join(self.questions)}",
                    f"質問 '{question_id}' は（この位置より前に）定義されていない",
                )
            if question.kind == "yes_no":
                if not isinstance(expected, bool):
                    raise self.fail(
                        where,
                        f"'{question_id}' is a yes/no question; expected true or false",
                        "write true or false",
                        f"'{question_id}' ははい／いいえの質問: true か false を書いてください",
                    )
                out.append((question_id, expected))
                continue
            values = (expected,) if isinstance(expected, str) else expected
            allowed = {o.id for o in question.options}
            if isinstance(expected, bool) or not set(values) <= allowed:
                raise self.fail(
                    where,
                    f"'{expected}' is not an option of '{question_id}'",
                    f"use one of: {', '.join(o.id for o in question.options)}",
                    f"'{expected}' は質問 '{question_id}' の選択肢にない",
                )
            out.append((question_id, expected if isinstance(expected, str) else tuple(values)))
        return tuple(sorted(out, key=lambda pair: pair[0]))
