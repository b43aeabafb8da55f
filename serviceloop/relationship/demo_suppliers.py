"""Demo records of the suppliers part."""


def demo_records(write=print) -> int:
    return 0
