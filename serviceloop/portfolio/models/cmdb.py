"""Models of the cmdb part."""
