"""Consistency checks of one asset (issue 4 item 5), as pure functions over :class:`AssetFacts`.

:func:`check_asset` runs every check and returns the problems found, each an
:class:`Inconsistency` with a code, a severity and a Japanese and English message saying what is
wrong and how to fix it. ("Finding" is reserved for 指摘事項 of the inspections app.) Checks that
need the whole register (likely duplicates) live in ``duplicates.py``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from isms.assets.classification.asset import AssetFacts, AssetKind, AssetStatus, Segment
from isms.assets.classification.loader import get_scheme
from isms.assets.classification.model import Axis, ClassificationScheme

__all__ = ["CHECKS", "Inconsistency", "Severity", "check_asset"]


class Severity(enum.Enum):
    """``ERROR``: the asset breaks a rule of the policy; ``WARNING``: the record looks wrong."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Inconsistency:
    """One problem of one asset: what is wrong and how to fix it, in Japanese and English.

    ``field`` names the :class:`AssetFacts` field to look at.
    """

    code: str
    severity: Severity
    field: str
    message_ja: str
    message_en: str
    fix_ja: str
    fix_en: str

    def text(self, lang: str = "ja") -> str:
        """Return the message and the fix in ``lang`` (``ja`` or ``en``)."""
        if lang == "ja":
            return f"{self.message_ja} 修正方法: {self.fix_ja}"
        return f"{self.message_en} Fix: {self.fix_en}"


Schemes = Mapping[str, ClassificationScheme]
Check = Callable[[AssetFacts, Schemes], Iterator[Inconsistency]]


def check_asset(facts: AssetFacts, *, schemes: Schemes | None = None) -> list[Inconsistency]:
    """Return every inconsistency of ``facts``, in the order of :data:`CHECKS`.

    ``schemes`` maps scheme ids to schemes other than the built-in ones. Out-of-scope assets
    get the scope checks only; disposed ones skip the checks of assets in operation. Raises
    :class:`UnknownClass` when the classification names a class its scheme lacks.
    """
    resolved = _Schemes(schemes or {})
    if facts.classification is not None:
        resolved[facts.classification.scheme].validate(facts.classification)
    found: list[Inconsistency] = []
    checks = _SCOPE_CHECKS if not facts.in_scope else CHECKS
    for check in checks:
        found.extend(check(facts, resolved))
    return found


class _Schemes(dict[str, ClassificationScheme]):
    """Given schemes first, then the built-in ones."""

    def __init__(self, given: Schemes):
        super().__init__(given)

    def __missing__(self, key: str) -> ClassificationScheme:
        scheme = get_scheme(key)
        self[key] = scheme
        return scheme


def _operating(facts: AssetFacts) -> bool:
    return facts.status is not AssetStatus.DISPOSED


def _out_of_scope_without_reason(facts: AssetFacts, _schemes: Schemes) -> Iterator[Inconsistency]:
    if not facts.in_scope and not facts.out_of_scope_reason.strip():
        yield Inconsistency(
            "out_of_scope_without_reason",
            Severity.ERROR,
            "out_of_scope_reason",
            "適用範囲外とされているが、理由が記録されていない。",
            "The asset is marked out of scope but no reason is recorded.",
            "基本方針2.4の除外（教育委員会（小中学校）で教育に用いる、市立病院・介護老人保健施設つるで"
            "医療に用いる）のどれに当たるかを記録するか、適用範囲内に戻してください。",
            "Record which exclusion of seed 2.4 applies (teaching at the board of education's "
            "schools, medical care at the city hospital or care facility), or put it back in "
            "scope.",
        )


def _university_asset_not_city_owned(
    facts: AssetFacts, _schemes: Schemes
) -> Iterator[Inconsistency]:
    if facts.in_scope and facts.used_by_university and not facts.city_owned:
        yield Inconsistency(
            "university_asset_not_city_owned",
            Severity.ERROR,
            "city_owned",
            "都留文科大学で利用する資産が適用範囲内とされているが、市の保有ではない。",
            "An asset used by Tsuru University is in scope but not owned by the city.",
            "基本方針2.4(2)④は市が保有するものだけを対象とする。保有者を確認し、市の保有でなければ"
            "適用範囲外としてください。",
            "Seed 2.4(2)④ covers only city-owned assets: check the owner, and mark it out of "
            "scope if the city does not own it.",
        )


def _no_owner(facts: AssetFacts, _schemes: Schemes) -> Iterator[Inconsistency]:
    if not facts.has_owner:
        yield Inconsistency(
            "no_owner",
            Severity.ERROR,
            "has_owner",
            "管理責任者（情報セキュリティ管理者）が登録されていない。",
            "No owner (division security manager, 情報セキュリティ管理者) is recorded.",
            "資産を所管する課室とその情報セキュリティ管理者を登録してください。",
            "Record the owning division and its division security manager.",
        )


def _unclassified(facts: AssetFacts, _schemes: Schemes) -> Iterator[Inconsistency]:
    if facts.classification is None and _operating(facts):
        yield Inconsistency(
            "unclassified",
            Severity.WARNING,
            "classification",
            "機密性・完全性・可用性の分類が登録されていない。",
            "The asset has no confidentiality, integrity and availability classes.",
            "分類アシスタントで分類を決めて登録してください。",
            "Classify it, for example with the classification assistant.",
        )


def _specific_personal_info_outside_mynumber(
    facts: AssetFacts, _schemes: Schemes
) -> Iterator[Inconsistency]:
    if (
        facts.holds_specific_personal_info
        and facts.segment is not None
        and facts.segment is not Segment.MYNUMBER
        and _operating(facts)
    ):
        yield Inconsistency(
            "specific_personal_info_outside_mynumber",
            Severity.ERROR,
            "segment",
            f"特定個人情報を含むが、マイナンバー利用事務系ではなく {facts.segment.value} にある。",
            "The asset holds specific personal information (特定個人情報) but is in the "
            f"{facts.segment.value} segment, not the My Number segment.",
            "マイナンバー利用事務系に移すか、特定個人情報を含まないことを確認して記録を直してください。",
            "Move it to the My Number segment, or confirm that it holds no specific personal "
            "information and correct the record.",
        )


def _specific_without_personal_info(
    facts: AssetFacts, _schemes: Schemes
) -> Iterator[Inconsistency]:
    if (
        facts.holds_specific_personal_info or facts.holds_sensitive_personal_info
    ) and not facts.holds_personal_info:
        yield Inconsistency(
            "personal_info_flags_inconsistent",
            Severity.WARNING,
            "holds_personal_info",
            "特定個人情報又は要配慮個人情報を含むとされているが、個人情報を含むとされていない。",
            "The asset holds specific or sensitive personal information but is not marked as "
            "holding personal information.",
            "特定個人情報・要配慮個人情報は個人情報に含まれる。「個人情報を含む」を設定してください。",
            "Specific and sensitive personal information are personal information: set "
            "'holds personal information'.",
        )


def _class_not_allowed_in_segment(facts: AssetFacts, schemes: Schemes) -> Iterator[Inconsistency]:
    if facts.classification is None or facts.segment is None or not _operating(facts):
        return
    scheme = schemes[facts.classification.scheme]
    level = scheme.level(Axis.CONFIDENTIALITY, facts.classification.confidentiality)
    if facts.segment.value in level.not_in_segments:
        yield Inconsistency(
            "class_not_allowed_in_segment",
            Severity.ERROR,
            "segment",
            f"{level.label_ja}の資産が {facts.segment.value} にある。",
            f"A {level.label_en} asset is in the {facts.segment.value} segment.",
            "LGWAN接続系又はマイナンバー利用事務系に移すか、分類を見直してください。",
            "Move it to the LGWAN or My Number segment, or review its classes.",
        )


def _sensitive_in_internet(facts: AssetFacts, _schemes: Schemes) -> Iterator[Inconsistency]:
    if (
        facts.holds_sensitive_personal_info
        and facts.segment is Segment.INTERNET
        and _operating(facts)
    ):
        yield Inconsistency(
            "sensitive_personal_info_in_internet_segment",
            Severity.WARNING,
            "segment",
            "要配慮個人情報を含む資産がインターネット接続系にある。",
            "An asset holding sensitive personal information is in the Internet segment.",
            "LGWAN接続系へ移すか、インターネット接続系で取り扱う必要性と対策を確認してください。",
            "Move it to the LGWAN segment, or confirm why it must be in the Internet segment and "
            "which safeguards apply.",
        )


def _personal_info_in_lowest_class(facts: AssetFacts, schemes: Schemes) -> Iterator[Inconsistency]:
    holds = (
        facts.holds_personal_info
        or facts.holds_specific_personal_info
        or facts.holds_sensitive_personal_info
    )
    if not holds or facts.classification is None:
        return
    scale = schemes[facts.classification.scheme].scale(Axis.CONFIDENTIALITY)
    if facts.classification.confidentiality == scale.lowest.id:
        yield Inconsistency(
            "personal_info_in_public_class",
            Severity.ERROR,
            "classification",
            f"個人情報を含むが、公開を前提とする{scale.lowest.label_ja}とされている。",
            f"The asset holds personal information but is classed {scale.lowest.label_en}, "
            "the class of public information.",
            "機密性の分類を見直してください（分類アシスタントが候補を示す）。",
            "Review its confidentiality class (the classification assistant suggests one).",
        )


def _mynumber_controls(facts: AssetFacts, _schemes: Schemes) -> Iterator[Inconsistency]:
    if (
        facts.segment is not Segment.MYNUMBER
        or facts.kind is not AssetKind.SYSTEM_EQUIPMENT
        or not _operating(facts)
    ):
        return
    if not facts.mfa_confirmed:
        yield Inconsistency(
            "mynumber_mfa_unconfirmed",
            Severity.ERROR,
            "mfa_confirmed",
            "マイナンバー利用事務系の端末・システムで、多要素認証の設定が確認されていない。",
            "Multi-factor authentication is not confirmed on this My Number segment terminal or "
            "system.",
            "多要素認証の設定を確認し、確認者と確認日を記録してください（基本方針2.6(3)①）。",
            "Check the multi-factor authentication setting and record who confirmed it and "
            "when (seed 2.6(3)①).",
        )
    if not facts.export_blocked_confirmed:
        yield Inconsistency(
            "mynumber_export_block_unconfirmed",
            Severity.ERROR,
            "export_blocked_confirmed",
            "マイナンバー利用事務系の端末・システムで、持ち出し不可設定が確認されていない。",
            "The export-blocked setting (持ち出し不可設定) is not confirmed on this My Number "
            "segment terminal or system.",
            "USBメモリ等への書き出しを禁止する設定を確認し、確認者と確認日を記録してください"
            "（基本方針2.6(3)①）。",
            "Check that writing to USB memory and other media is blocked, and record who "
            "confirmed it and when (seed 2.6(3)①).",
        )


def _availability_without_backup(facts: AssetFacts, schemes: Schemes) -> Iterator[Inconsistency]:
    if facts.classification is None or facts.has_backup_and_rto or not _operating(facts):
        return
    scale = schemes[facts.classification.scheme].scale(Axis.AVAILABILITY)
    if facts.classification.availability != scale.lowest.id:
        level = scale.classes[scale.class_ids.index(facts.classification.availability)]
        yield Inconsistency(
            "availability_without_backup",
            Severity.ERROR,
            "has_backup_and_rto",
            f"{level.label_ja}だが、バックアップと目標復旧時間の記録がない。",
            f"The asset is {level.label_en} but has no record of a backup and a recovery time.",
            "バックアップの取得方法・保管場所（同一災害で被災しない場所）と目標復旧時間を記録してください。",
            "Record how it is backed up, where the backup is kept (out of reach of the same "
            "disaster) and the recovery time objective.",
        )


def _medium_below_highest_class(facts: AssetFacts, schemes: Schemes) -> Iterator[Inconsistency]:
    if not facts.held_classifications:
        return
    own = facts.classification
    if own is None:
        yield Inconsistency(
            "medium_unclassified",
            Severity.ERROR,
            "classification",
            "分類の異なる情報を記録した媒体に、分類が登録されていない。",
            "The medium holds classified information but has no classes itself.",
            "記録された情報のうち最も高い分類を登録してください。",
            "Give it the highest class of the information it holds.",
        )
        return
    scheme = schemes[own.scheme]
    foreign = sorted({c.scheme for c in facts.held_classifications if c.scheme != own.scheme})
    if foreign:
        yield Inconsistency(
            "medium_mixed_schemes",
            Severity.WARNING,
            "held_classifications",
            f"媒体の分類体系（{own.scheme}）と異なる体系（{', '.join(foreign)}）の情報が"
            "記録されている。",
            f"The medium holds information classed under other schemes ({', '.join(foreign)}) "
            f"than its own ({own.scheme}).",
            "記録された情報の分類を同じ分類体系に移行してから、最も高い分類を確認してください。",
            "Migrate the information to the same scheme, then check the highest class.",
        )
    held = [c for c in facts.held_classifications if c.scheme == own.scheme]
    for item in held:
        scheme.validate(item)
    for axis in Axis if held else ():
        scale = scheme.scale(axis)
        highest = max(held, key=lambda c: scheme.level(axis, c.get(axis)).rank).get(axis)
        required = scheme.level(axis, highest)
        current = scheme.level(axis, own.get(axis))
        if current.rank < required.rank:
            yield Inconsistency(
                "medium_below_highest_class",
                Severity.ERROR,
                "classification",
                f"媒体の{scale.label_ja}が{current.label_ja}だが、記録された情報に"
                f"{required.label_ja}がある。",
                f"The medium is {current.label_en} but holds {required.label_en} information.",
                "分類の異なる情報を記録した媒体は最も高い分類で取り扱う: "
                f"{required.label_ja}にしてください。",
                "A medium holding mixed classes is handled at the highest class: set it to "
                f"{required.label_en}.",
            )


def _disposed_without_approval(facts: AssetFacts, _schemes: Schemes) -> Iterator[Inconsistency]:
    if facts.status is AssetStatus.DISPOSED and not facts.disposal_approved:
        yield Inconsistency(
            "disposed_without_approval",
            Severity.ERROR,
            "disposal_approved",
            "廃棄済みだが、承認された廃棄記録がない。",
            "The asset is disposed of but has no approved disposal record.",
            "情報セキュリティ管理者の許可と、廃棄の日時・担当者・処理内容の記録を登録してください。",
            "Record the division security manager's approval and the date, person and method "
            "of disposal.",
        )


_SCOPE_CHECKS: tuple[Check, ...] = (_out_of_scope_without_reason,)

# Every check, in report order.
CHECKS: tuple[Check, ...] = (
    _out_of_scope_without_reason,
    _university_asset_not_city_owned,
    _no_owner,
    _unclassified,
    _specific_personal_info_outside_mynumber,
    _specific_without_personal_info,
    _class_not_allowed_in_segment,
    _sensitive_in_internet,
    _personal_info_in_lowest_class,
    _mynumber_controls,
    _availability_without_backup,
    _medium_below_highest_class,
    _disposed_without_approval,
)
