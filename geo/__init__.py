"""Ward boundaries, coordinate systems and point-in-ward lookups; imports nothing of the app's."""
