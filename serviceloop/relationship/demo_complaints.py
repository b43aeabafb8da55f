"""Demo records of the complaints part."""


def demo_records(write=print) -> int:
    return 0
