"""Ward boundary imports, ward profiles and the map's data."""
