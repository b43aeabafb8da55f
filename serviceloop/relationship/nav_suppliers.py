"""Navigation entries of the suppliers part (``core.navigation.register``)."""
