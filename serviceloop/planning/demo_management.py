"""Demo records of clauses 4–6 beside the gap analysis and plan (called by ``planning.demo``):
tailoring first (the scope excludes what it switches off), then context and leadership,
objectives, and the risks that link to them."""

from serviceloop.planning import demo_context, demo_objectives, demo_risks, demo_tailoring


def demo_records(write=print) -> int:
    return sum(
        part.demo_records(write=write)
        for part in (demo_tailoring, demo_context, demo_objectives, demo_risks)
    )
