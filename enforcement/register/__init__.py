"""The premises and licence register: premises, licences and conditions, wards they sit in, importers."""
