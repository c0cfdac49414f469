"""Load classification schemes from YAML: JSON Schema first, then the cross-references.

Two passes, as in the segmentation verifier: ``data/schemas/scheme.schema.json`` checks shape
and vocabularies; this module checks what a schema cannot: restriction ids that the classes
refer to exist and sit at the stage they are listed under, a class never requires less than
the class below it (monotone), and no id is defined twice. Every problem raises
:class:`DataError` naming the file and the path of the offending value.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from isms.assets.classification._data import data_text, read_document, read_path
from isms.assets.classification.errors import DataError, UnknownScheme
from isms.assets.classification.model import (
    PRE_R6,
    R6_10,
    Axis,
    ClassificationScheme,
    ClassLevel,
    Confidence,
    HandlingRestriction,
    HandlingStage,
    Scale,
    Source,
    covered_ids,
)

__all__ = ["BUILTIN_SCHEMES", "get_scheme", "load_scheme", "load_scheme_text"]

# The schemes shipped in data/schemes/, oldest first.
BUILTIN_SCHEMES = (PRE_R6, R6_10)


@cache
def get_scheme(scheme_id: str) -> ClassificationScheme:
    """Return the built-in scheme ``scheme_id`` (``pre_r6`` or ``r6_10``)."""
    if scheme_id not in BUILTIN_SCHEMES:
        raise UnknownScheme(scheme_id, BUILTIN_SCHEMES)
    text, source = data_text("schemes", f"{scheme_id}.yaml")
    return load_scheme_text(text, source=source)


def load_scheme(path: str | Path) -> ClassificationScheme:
    """Read and check the scheme in ``path`` (e.g. a municipality's own revision)."""
    text, source = read_path(path)
    return load_scheme_text(text, source=source)


def load_scheme_text(text: str, *, source: str) -> ClassificationScheme:
    """Check and build a scheme from YAML text; ``source`` names it in errors."""
    document = read_document(text, source=source, schema_name="scheme")
    return _SchemeBuilder(document, source).build()


class _SchemeBuilder:
    def __init__(self, document: dict[str, Any], source: str):
        self.doc = document
        self.source = source
        self.catalogue: dict[str, HandlingRestriction] = {}

    def fail(self, path: str, message: str, hint: str, message_ja: str) -> DataError:
        return DataError(message, source=self.source, path=path, hint=hint, message_ja=message_ja)

    def build(self) -> ClassificationScheme:
        for index, item in enumerate(self.doc["restrictions"]):
            restriction = self.restriction(item, f"restrictions[{index}]")
            self.catalogue[restriction.id] = restriction
        self.check_supersedes()
        common = self.handling(self.doc["common"], "common")
        scales = {axis: self.scale(axis) for axis in Axis}
        return ClassificationScheme(
            id=self.doc["id"],
            version=self.doc["version"],
            label_ja=self.doc["label_ja"],
            label_en=self.doc["label_en"],
            guideline_edition=self.doc["guideline_edition"],
            edition_label_ja=self.doc["edition_label_ja"],
            edition_label_en=self.doc["edition_label_en"],
            edition_month=self.doc["edition_month"],
            confidentiality=scales[Axis.CONFIDENTIALITY],
            integrity=scales[Axis.INTEGRITY],
            availability=scales[Axis.AVAILABILITY],
            common=common,
            restrictions=tuple(self.catalogue.values()),
        )

    def restriction(self, item: dict[str, Any], path: str) -> HandlingRestriction:
        rid = item["id"]
        if rid in self.catalogue:
            raise self.fail(
                f"{path}.id",
                f"restriction '{rid}' is defined twice",
                "give each restriction its own id",
                f"取扱制限 '{rid}' が二重に定義されている",
            )
        stage = item["stage"]
        if rid.split(".", 1)[0] != stage:
            raise self.fail(
                f"{path}.id",
                f"restriction '{rid}' is at stage '{stage}' but its id starts with another stage",
                f"start the id with '{stage}.'",
                f"取扱制限 '{rid}' の段階は '{stage}' だが、id の接頭辞が異なる",
            )
        confidence = item.get("confidence")
        return HandlingRestriction(
            id=rid,
            stage=HandlingStage(stage),
            text_ja=item["text_ja"],
            text_en=item["text_en"],
            source=Source(item["source"]),
            confidence=Confidence(confidence) if confidence else None,
            basis=item["basis"],
            approval=item.get("approval", ""),
            supersedes=tuple(item.get("supersedes", ())),
        )

    def check_supersedes(self) -> None:
        for index, restriction in enumerate(self.catalogue.values()):
            for position, weaker in enumerate(restriction.supersedes):
                path = f"restrictions[{index}].supersedes[{position}]"
                other = self.catalogue.get(weaker)
                if other is None or weaker == restriction.id:
                    raise self.fail(
                        path,
                        f"'{restriction.id}' supersedes '{weaker}', which is not another "
                        "restriction of the catalogue",
                        "name the id of a weaker restriction defined under 'restrictions'",
                        f"'{restriction.id}' が置き換える '{weaker}' は定義されていない",
                    )
                if other.stage is not restriction.stage:
                    raise self.fail(
                        path,
                        f"'{restriction.id}' supersedes '{weaker}' of another stage",
                        "a restriction can only replace one of its own stage",
                        f"'{restriction.id}' が別の段階の '{weaker}' を置き換えている",
                    )
            if self._cycles(restriction):
                raise self.fail(
                    f"restrictions[{index}].supersedes",
                    f"'{restriction.id}' supersedes itself through a cycle",
                    "remove the cycle from 'supersedes'",
                    f"'{restriction.id}' の置き換えが循環している",
                )

    def _cycles(self, restriction: HandlingRestriction) -> bool:
        start = [self.catalogue[w] for w in restriction.supersedes]
        return restriction.id in covered_ids(start, self.catalogue)

    def handling(self, item: dict[str, Any], path: str) -> tuple[HandlingRestriction, ...]:
        out: list[HandlingRestriction] = []
        for stage in HandlingStage:
            for position, rid in enumerate(item[stage.value]):
                where = f"{path}.{stage.value}[{position}]"
                restriction = self.catalogue.get(rid)
                if restriction is None:
                    raise self.fail(
                        where,
                        f"unknown restriction '{rid}'",
                        "define it under 'restrictions' or fix the id",
                        f"取扱制限 '{rid}' は定義されていない",
                    )
                if restriction.stage is not stage:
                    raise self.fail(
                        where,
                        f"restriction '{rid}' belongs to stage '{restriction.stage.value}', "
                        f"not '{stage.value}'",
                        f"list it under '{restriction.stage.value}'",
                        f"取扱制限 '{rid}' は段階 '{restriction.stage.value}' のもの",
                    )
                out.append(restriction)
        return tuple(out)

    def scale(self, axis: Axis) -> Scale:
        item = self.doc["axes"][axis.value]
        path = f"axes.{axis.value}.classes"
        count = len(item["classes"])
        levels: list[ClassLevel] = []
        for index, entry in enumerate(item["classes"]):
            where = f"{path}[{index}]"
            if any(level.id == entry["id"] for level in levels):
                raise self.fail(
                    f"{where}.id",
                    f"class '{entry['id']}' is listed twice",
                    "list each class of the axis once, highest first",
                    f"分類 '{entry['id']}' が二重に定義されている",
                )
            confidence = entry.get("criteria_confidence")
            levels.append(
                ClassLevel(
                    id=entry["id"],
                    axis=axis,
                    rank=count - index,
                    label_ja=entry["label_ja"],
                    label_en=entry["label_en"],
                    criteria_ja=entry["criteria_ja"],
                    criteria_en=entry["criteria_en"],
                    criteria_source=Source(entry["criteria_source"]),
                    criteria_confidence=Confidence(confidence) if confidence else None,
                    restrictions=self.handling(entry["handling"], f"{where}.handling"),
                    not_in_segments=tuple(entry.get("not_in_segments", ())),
                )
            )
        for index in range(count - 1):
            self.check_monotone(levels[index], levels[index + 1], f"{path}[{index}]")
        return Scale(
            axis=axis, label_ja=item["label_ja"], label_en=item["label_en"], classes=tuple(levels)
        )

    def check_monotone(self, higher: ClassLevel, lower: ClassLevel, path: str) -> None:
        """A class must carry (or supersede) every restriction of the class below it."""
        covered = covered_ids(higher.restrictions, self.catalogue)
        missing = sorted(r.id for r in lower.restrictions if r.id not in covered)
        if missing:
            raise self.fail(
                f"{path}.handling",
                f"class '{higher.id}' lacks {', '.join(missing)} that the lower class "
                f"'{lower.id}' requires",
                "a higher class must require everything a lower class does (classes are "
                "listed highest first): add the ids or a restriction that supersedes them",
                f"分類 '{higher.id}' に、下位の分類 '{lower.id}' の取扱制限 {', '.join(missing)} "
                "がない",
            )
        loose = sorted(set(lower.not_in_segments) - set(higher.not_in_segments))
        if loose:
            raise self.fail(
                f"{path}.not_in_segments",
                f"class '{higher.id}' allows segments {', '.join(loose)} that the lower class "
                f"'{lower.id}' forbids",
                "a higher class must forbid every segment a lower class forbids",
                f"分類 '{higher.id}' が、下位の分類 '{lower.id}' で禁止のセグメント "
                f"{', '.join(loose)} を許している",
            )
