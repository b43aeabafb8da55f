"""Navigation entries of the services part (``core.navigation.register``)."""
