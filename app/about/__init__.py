"""The service's own pages for anyone, signed in or not: accessibility, privacy and cookies."""
