"""Demo records of support, part by part (discovered by ``serviceloop demo``)."""

from serviceloop.support import demo_competence, demo_documents, demo_knowledge


def demo_records(write=print) -> int:
    created = 0
    created += demo_knowledge.demo_records(write=write)
    created += demo_documents.demo_records(write=write)
    created += demo_competence.demo_records(write=write)
    return created
