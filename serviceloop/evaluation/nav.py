"""Navigation entries (``core.navigation.register``)."""
