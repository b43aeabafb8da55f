"""Navigation entries of the knowledge part (``core.navigation.register``)."""
