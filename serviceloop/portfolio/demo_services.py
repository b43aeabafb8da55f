"""Demo records of the services part."""


def demo_records(write=print) -> int:
    return 0
