"""Demo records of the customers part."""


def demo_records(write=print) -> int:
    return 0
