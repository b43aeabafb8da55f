"""Dates and helpers of the internal-audit tests (their fixtures are in ``conftest.py``)."""

import datetime

from django.utils import timezone

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def line_of(programme, number):
    """The programme's line of the clause ``number`` (``"8.6.1"``)."""
    return programme.lines.get(clause__number=number)
