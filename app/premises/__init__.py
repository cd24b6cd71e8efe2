"""The premises and licence register."""
