"""Loading the clause model from the shared clause list (``data/iso20000-1-clauses.csv``,
columns ``clause,title_en,title_zh,app``) and our own guidance (``data/clause-guidance.csv``,
columns ``clause,guidance_en,guidance_zh``).

Numbers and titles come only from the clause list; the guidance text is ServiceLoop's own
advice on the evidence a provider typically keeps, never the text of the standard.
"""

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

DATA_DIR = Path(__file__).resolve().parent / "data"
CLAUSES_CSV = DATA_DIR / "iso20000-1-clauses.csv"
GUIDANCE_CSV = DATA_DIR / "clause-guidance.csv"
NUMBER = re.compile(r"^\d+(\.\d+)*$")
FIELDS = (
    "parent_id",
    "title_en",
    "title_zh",
    "level",
    "position",
    "is_leaf",
    "area",
    "guidance_en",
    "guidance_zh",
)


@dataclass(frozen=True)
class ClauseRow:
    number: str
    title_en: str
    title_zh: str
    area: str

    @property
    def parent_number(self) -> str | None:
        return self.number.rpartition(".")[0] or None

    @property
    def level(self) -> int:
        return self.number.count(".") + 1


def _read(path: Path, columns: tuple[str, ...]) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = set(columns) - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path.name}: missing columns {sorted(missing)}")
        return [{key: (value or "").strip() for key, value in row.items()} for row in reader]


def clause_rows(path: Path = CLAUSES_CSV) -> list[ClauseRow]:
    """The clause list in its order; raises ValueError on a malformed list (a bad number, a
    duplicate, a clause before its parent, a missing title)."""
    rows: list[ClauseRow] = []
    seen: set[str] = set()
    for line, raw in enumerate(_read(path, ("clause", "title_en", "title_zh", "app")), start=2):
        row = ClauseRow(raw["clause"], raw["title_en"], raw["title_zh"], raw["app"])
        if not NUMBER.match(row.number):
            raise ValueError(f"{path.name}:{line}: bad clause number {row.number!r}")
        if row.number in seen:
            raise ValueError(f"{path.name}:{line}: clause {row.number} appears twice")
        if row.parent_number and row.parent_number not in seen:
            raise ValueError(f"{path.name}:{line}: clause {row.number} comes before its parent")
        if not row.title_en or not row.title_zh:
            raise ValueError(f"{path.name}:{line}: clause {row.number} needs both titles")
        seen.add(row.number)
        rows.append(row)
    return rows


def guidance_rows(path: Path = GUIDANCE_CSV) -> dict[str, tuple[str, str]]:
    """``{number: (guidance_en, guidance_zh)}`` from our guidance file."""
    return {
        raw["clause"]: (raw["guidance_en"], raw["guidance_zh"])
        for raw in _read(path, ("clause", "guidance_en", "guidance_zh"))
    }


def clauses_load(
    *, model=None, clauses_path: Path = CLAUSES_CSV, guidance_path: Path = GUIDANCE_CSV
) -> dict[str, int]:
    """Create or update one Clause row per line of the clause list; idempotent.

    A second run with the same files changes nothing. A clause whose title, order or
    guidance changed in the files is updated in place (its primary key, hence every answer
    and link that points at it, stays). Clauses missing from the list are left alone, never
    deleted: records may point at them. ``model`` lets a data migration pass its historical
    model (``apps.get_model("conformity", "Clause")``); only plain manager methods are used.
    No audit row: this is reference data shipped with the product, not a user's change.

    Returns ``{"created": n, "updated": n, "unchanged": n}``.
    """
    if model is None:
        from serviceloop.conformity.models import Clause as model
    rows = clause_rows(clauses_path)
    guidance = guidance_rows(guidance_path)
    unknown = set(guidance) - {row.number for row in rows}
    if unknown:
        raise ValueError(f"guidance for unknown clauses: {sorted(unknown)}")
    parents = {row.parent_number for row in rows if row.parent_number}
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    with transaction.atomic():
        existing = {clause.number: clause for clause in model.objects.all()}
        by_number = {}
        for position, row in enumerate(rows, start=1):
            guidance_en, guidance_zh = guidance.get(row.number, ("", ""))
            parent = by_number.get(row.parent_number)
            values = {
                "parent_id": parent.pk if parent else None,
                "title_en": row.title_en,
                "title_zh": row.title_zh,
                "level": row.level,
                "position": position,
                "is_leaf": row.number not in parents,
                "area": row.area,
                "guidance_en": guidance_en,
                "guidance_zh": guidance_zh,
            }
            clause = existing.get(row.number)
            if clause is None:
                clause = model.objects.create(number=row.number, **values)
                counts["created"] += 1
            elif any(getattr(clause, field) != values[field] for field in FIELDS):
                for field, value in values.items():
                    setattr(clause, field, value)
                clause.save(update_fields=list(FIELDS))
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
            by_number[row.number] = clause
    return counts
