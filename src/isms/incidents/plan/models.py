"""Models of the emergency response plan."""
