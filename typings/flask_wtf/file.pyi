# Flask-WTF's file field as this project uses it (stubs for mypy only).
from typing import Any

from wtforms import FileField as _FileField

class FileField(_FileField):
    data: Any
