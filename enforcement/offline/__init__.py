"""Offline working (docs/offline.md): what a tablet may keep of a premises, and records sent back.

`package` reads one premises as the acting user may see it, for keeping on a device; `sync`
checks a record sent back from a device (its envelope, whether it was accepted already, and
whether what it was recorded against has changed since); `keys` derives the per-session key
that the device encrypts its copy with.
"""
