"""Read a YAML data file and check it against its JSON Schema; errors name file and path.

Shared by every loader of the package. The schemas live in ``data/schemas/``; the data files
shipped with the package in ``data/``.
"""

from __future__ import annotations

import datetime
import importlib
import json
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Protocol, cast

import yaml

from isms.assets.classification.errors import DataError

__all__ = ["DOC_HINT", "data_text", "json_path", "read_document", "read_path", "schema"]

DOC_HINT = "see docs/assets-classification.md"
PACKAGE = "isms.assets.classification"
_JA = {
    "required": "必須の項目がない",
    "additionalProperties": "未知の項目がある",
    "enum": "使えない値",
    "const": "使えない値",
    "pattern": "書式が正しくない",
    "type": "値の型が違う",
    "minItems": "項目が足りない",
    "minLength": "空にできない",
    "minimum": "値が小さすぎる",
    "minProperties": "項目が足りない",
    "uniqueItems": "重複がある",
}


@cache
def schema(name: str) -> dict[str, Any]:
    """Return the JSON Schema ``data/schemas/<name>.schema.json``."""
    text = _resource("schemas", f"{name}.schema.json").read_text("utf-8")
    return cast(dict[str, Any], json.loads(text))


def data_text(*parts: str) -> tuple[str, str]:
    """Return the text of a data file shipped with the package and a name to show in errors."""
    return _resource(*parts).read_text("utf-8"), "/".join(("data", *parts))


def _resource(*parts: str) -> Traversable:
    resource = resources.files(PACKAGE).joinpath("data")
    for part in parts:
        resource = resource.joinpath(part)
    return resource


def read_path(path: str | Path) -> tuple[str, str]:
    """Return the text of a UTF-8 file (BOM allowed) and its name; raise :class:`DataError`."""
    try:
        return Path(path).read_text(encoding="utf-8-sig"), str(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(
            f"cannot read the file: {exc}",
            source=str(path),
            path="",
            hint="give the path of a UTF-8 YAML file",
            message_ja=f"ファイルを読めない: {exc}",
            hint_ja="UTF-8 の YAML ファイルのパスを指定してください",
        ) from None


def read_document(text: str, *, source: str, schema_name: str) -> dict[str, Any]:
    """Parse YAML ``text`` and check it against the schema ``schema_name``."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise DataError(
            f"not valid YAML: {problem}",
            source=source,
            path=where,
            hint="check indentation and quoting at that place",
            message_ja=f"YAML として読めない: {problem}",
            hint_ja="その位置の字下げと引用符を確認してください",
        ) from None
    document = _plain(document)
    _validate(document, source, schema_name)
    return cast(dict[str, Any], document)


def _plain(value: Any) -> Any:
    """Turn YAML dates into ISO strings and keys into strings, so the schema sees JSON types."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def json_path(parts: Iterable[Any]) -> str:
    """Return a readable path such as ``axes.confidentiality.classes[0].id``."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class _SchemaError(Protocol):
    message: str
    validator: object
    absolute_path: Sequence[str | int]
    schema: object


def _validate(document: Any, source: str, schema_name: str) -> None:
    # jsonschema ships no type information; its API is narrowed to _SchemaError here.
    jsonschema = importlib.import_module("jsonschema")
    validator = jsonschema.Draft202012Validator(schema(schema_name))
    errors = list(validator.iter_errors(document))
    if not errors:
        return
    error = cast(_SchemaError, jsonschema.exceptions.best_match(errors))
    path = json_path(error.absolute_path)
    rules = error.schema if isinstance(error.schema, dict) else {}
    hint = str(rules.get("description", "")) or DOC_HINT
    if error.validator == "additionalProperties":
        allowed = sorted(rules.get("properties", {}))
        hint = "allowed fields here: " + ", ".join(allowed) if allowed else DOC_HINT
    raise DataError(
        f"invalid {schema_name} file: {error.message}",
        source=source,
        path=path or "(top level)",
        hint=hint,
        message_ja=(
            f"{schema_name} ファイルが正しくない: "
            f"{_JA.get(str(error.validator), '値が正しくない')}（{error.message}）"
        ),
        hint_ja=hint,
    )
