"""Navigation entries of the complaints part (``core.navigation.register``)."""
