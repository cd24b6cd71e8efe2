"""The pages that take a whole file to import: who may send one there up to IMPORT_MAX_MB (every
other request body stays under MAX_UPLOAD_MB), and the command that imports a larger one."""

from __future__ import annotations

from typing import NamedTuple

from enforcement.access import Permission


class ImportPage(NamedTuple):
    permission: Permission
    command: str


IMPORT_PAGES = {
    "registerio.index": ImportPage(Permission.REGISTER_IMPORT, "flask --app app register import"),
    # A ward file covering many boroughs (kept to one by its code) is often over MAX_UPLOAD_MB.
    "admin.wards_preview": ImportPage(Permission.REFERENCE_MANAGE, "flask --app app wards import"),
}
