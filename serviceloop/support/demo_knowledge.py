"""Demo records of the knowledge part."""


def demo_records(write=print) -> int:
    return 0
