"""Navigation entries of the customers part (``core.navigation.register``)."""
