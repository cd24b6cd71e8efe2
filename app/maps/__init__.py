"""The map, nearby premises, ward profiles and hotspots."""
