# The part of Flask-Login this project uses (it ships no types; stubs for mypy only). The
# signed-in user is whatever the user loader returns, so `current_user` and `UserMixin` stay Any.
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from flask import Flask

_F = TypeVar("_F", bound=Callable[..., Any])

current_user: Any
UserMixin: Any

class LoginManager:
    login_view: str | None
    login_message: str
    login_message_category: str
    session_protection: str | None
    def __init__(self, app: Flask | None = ..., add_context_processor: bool = ...) -> None: ...
    def init_app(self, app: Flask, add_context_processor: bool = ...) -> None: ...
    def user_loader(self, callback: _F) -> _F: ...

def login_required(func: _F) -> _F: ...
def login_user(
    user: Any,
    remember: bool = ...,
    duration: timedelta | None = ...,
    force: bool = ...,
    fresh: bool = ...,
) -> bool: ...
def logout_user() -> bool: ...
