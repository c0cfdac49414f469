"""Results as plain JSON-ready data: for the CLI report and the quarantine metadata."""

from __future__ import annotations

import json
from typing import Any

from .result import PartOutcome, SanitizeResult

__all__ = ["REPORT_VERSION", "part_to_dict", "result_to_dict", "result_to_json"]

REPORT_VERSION = 1


def part_to_dict(part: PartOutcome) -> dict[str, Any]:
    """Return one part outcome as a dict (entries nested)."""
    return {
        "part_id": part.part_id,
        "filename": part.filename,
        "declared_type": part.declared_type,
        "detected_type": part.detected_type,
        "kind": str(part.kind),
        "size": part.size,
        "sha256": part.sha256,
        "action": str(part.action),
        "reasons": [str(code) for code in part.reasons],
        "entries": [part_to_dict(entry) for entry in part.entries],
    }


def result_to_dict(result: SanitizeResult) -> dict[str, Any]:
    """Return the whole result (without the message bytes) as a dict."""
    return {
        "version": REPORT_VERSION,
        "verdict": str(result.verdict),
        "original": {"sha256": result.original_sha256, "size": result.original_size},
        "quarantine_id": result.quarantine_id,
        "headers": [[name, value] for name, value in result.headers],
        "methods": sorted(str(m) for m in result.methods),
        "actions": list(result.actions),
        "reasons": [
            {
                "code": str(reason.code),
                "holds": reason.code.holds,
                "part_id": reason.part_id,
                "detail": reason.detail,
                "text_ja": reason.code.text_ja,
            }
            for reason in result.reasons
        ],
        "parts": [part_to_dict(part) for part in result.parts],
    }


def result_to_json(result: SanitizeResult) -> str:
    """Return the result as indented JSON (UTF-8 text, Japanese unescaped)."""
    return json.dumps(result_to_dict(result), ensure_ascii=False, indent=2) + "\n"
