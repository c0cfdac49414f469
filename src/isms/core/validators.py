"""Validators for identifiers used by Japanese local government."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# fullmatch, not ^…$: "$" also matches before a trailing newline.
_LGCODE = re.compile(r"[0-9]{6}")
# Weights of the 全国地方公共団体コード check digit (総務省), applied to the first five digits.
_LGCODE_WEIGHTS = (6, 5, 4, 3, 2)


def lg_code_check_digit(first_five: str) -> int:
    """Return the check digit of a 全国地方公共団体コード from its first five digits.

    >>> lg_code_check_digit("19204")  # 都留市
    0
    """
    total = sum(int(d) * w for d, w in zip(first_five, _LGCODE_WEIGHTS, strict=True))
    return (11 - total % 11) % 10


def validate_lg_code(value: str) -> None:
    """Reject anything but six digits whose last is the right check digit and prefecture 01–47."""
    if not isinstance(value, str) or not _LGCODE.fullmatch(value):
        raise ValidationError(
            _(
                "The local government code must be 6 half-width digits "
                "(5 digits and a check digit), e.g. 192040."
            ),
            code="lg_code_format",
        )
    if not 1 <= int(value[:2]) <= 47:
        raise ValidationError(
            _("The first two digits of the local government code must be a prefecture code 01–47."),
            code="lg_code_prefecture",
        )
    expected = lg_code_check_digit(value[:5])
    if int(value[5]) != expected:
        raise ValidationError(
            _("The check digit of %(code)s is wrong: it should end in %(digit)s.")
            % {"code": value, "digit": expected},
            code="lg_code_check_digit",
        )
