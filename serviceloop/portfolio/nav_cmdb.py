"""Navigation entries of the cmdb part (``core.navigation.register``)."""
