"""Demo records of the cmdb part."""


def demo_records(write=print) -> int:
    return 0
