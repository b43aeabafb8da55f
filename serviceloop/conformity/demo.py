"""Demo records of conformity: the clause model (discovered by ``serviceloop demo``)."""

from serviceloop.conformity.services_clauses import clauses_load


def demo_records(write=print) -> int:
    """Load the clause list if it is not there yet (idempotent); returns the rows created."""
    counts = clauses_load()
    if counts["created"] or counts["updated"]:
        write(f"clauses: {counts['created']} created, {counts['updated']} updated")
    return counts["created"]
