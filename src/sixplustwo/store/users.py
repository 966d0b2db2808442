"""Who may log in to the butlers' page (``sixplustwo serve``): users, their role, the butler
name a butler's scope is, and their password as an argon2id hash.

The hash is Argon2id through argon2-cffi (the ``serve`` extra), as Django's password hashers
store it: the parameters and the salt travel in the hash, so a later release may raise them
and ``needs_rehash`` tells a login to store the stronger one. A password is never stored,
printed or journaled as typed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sixplustwo.domain.errors import Conflict, InvalidInput, NotFound
from sixplustwo.domain.text import check_line
from sixplustwo.store.rows import now_text

if TYPE_CHECKING:
    from sixplustwo.store.database import Database

ROLES = ("butler", "manager")
NAME_MAX = 40
PASSWORD_MIN = 8
PASSWORD_MAX = 200
_COLUMNS = "id, name, role, butler, password_hash, disabled_at"
# argon2-cffi's defaults (RFC 9106's low-memory profile: 64 MiB, 3 passes) unless a test asks
# for cheaper hashes, as Django's tests swap in a fast hasher.
HASHING: dict[str, int] = {}


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    butler: str | None  # a butler's scope: the owners whose butler is this name
    password_hash: str | None
    disabled: bool

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"

    @property
    def fingerprint(self) -> str:
        """Changes when the password does: a session made before a new password (or before
        the user was disabled and given one again) is no longer good."""
        return hashlib.sha256((self.password_hash or "").encode()).hexdigest()[:16]


def _user(row: tuple) -> User:
    user_id, name, role, butler, password_hash, disabled_at = row
    return User(user_id, name, role, butler, password_hash, disabled_at is not None)


def _hasher():
    try:
        from argon2 import PasswordHasher
    except ImportError:  # the CLI without the serve extra
        raise InvalidInput(
            "passwords need the serve extra: pip install 'sixplustwo[serve]'"
        ) from None
    return PasswordHasher(**HASHING)  # argon2id


def hash_password(password: str) -> str:
    if len(password) < PASSWORD_MIN:
        raise InvalidInput(
            "the password is too short: at least {count} characters", count=PASSWORD_MIN
        )
    if len(password) > PASSWORD_MAX:
        raise InvalidInput(
            "the password is too long: at most {count} characters", count=PASSWORD_MAX
        )
    return _hasher().hash(password)


# Checked against when the user is unknown, so that a login takes as long either way.
_nobody: list[tuple[dict, str]] = []


def _nobody_hash(hasher) -> str:
    if not _nobody or _nobody[0][0] != HASHING:
        _nobody[:] = [(dict(HASHING), hasher.hash("no such user"))]
    return _nobody[0][1]


class Users:
    """The page's users, read and written through ``db``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def find(self, name: str) -> User | None:
        row = self.db.one(f"SELECT {_COLUMNS} FROM app_user WHERE name = :n", {"n": name})
        return None if row is None else _user(row)

    def by_id(self, user_id: int) -> User | None:
        row = self.db.one(f"SELECT {_COLUMNS} FROM app_user WHERE id = :i", {"i": user_id})
        return None if row is None else _user(row)

    def get(self, name: str) -> User:
        user = self.find(name)
        if user is None:
            raise NotFound("no user {name} (sixplustwo user list shows them)", name=name)
        return user

    def list(self) -> list[User]:
        return [
            _user(row) for row in self.db.query(f"SELECT {_COLUMNS} FROM app_user ORDER BY name")
        ]

    def add(self, name: str, role: str, butler: str | None) -> User:
        name = check_line("NAME", name.strip(), NAME_MAX)
        if not name:
            raise InvalidInput("the user's name is empty")
        if role not in ROLES:
            raise InvalidInput("--role {role}: butler or manager", role=role)
        if butler is not None:
            butler = check_line("--butler", butler.strip(), NAME_MAX) or None
        if role == "manager" and butler is not None:
            raise InvalidInput("--butler is for a butler: a manager sees every butler's owners")
        if self.find(name) is not None:
            raise Conflict("user {name} already exists", name=name)
        values = {
            "name": name,
            "role": role,
            "butler": butler or (name if role == "butler" else None),
            "created_at": now_text(),
        }
        return self.get_by_id(self.db.insert("app_user", values))

    def get_by_id(self, user_id: int) -> User:
        user = self.by_id(user_id)
        assert user is not None
        return user

    def set_password(self, name: str, password: str) -> User:
        user = self.get(name)
        self.db.update(
            "app_user",
            {"id": user.id},
            {"password_hash": hash_password(password), "disabled_at": None},
        )
        return self.get_by_id(user.id)

    def disable(self, name: str) -> User:
        user = self.get(name)
        if user.disabled:
            raise Conflict("user {name} is already disabled", name=name)
        self.db.update("app_user", {"id": user.id}, {"disabled_at": now_text()})
        return self.get_by_id(user.id)

    def check_password(self, name: str, password: str) -> User | None:
        """The user whose name and password these are, if they may log in; else None (an
        unknown name costs the same hash as a wrong password)."""
        hasher = _hasher()
        user = self.find(name)
        stored = user.password_hash if user is not None and not user.disabled else None
        try:
            from argon2.exceptions import VerificationError, VerifyMismatchError

            hasher.verify(stored or _nobody_hash(hasher), password)
        except (VerifyMismatchError, VerificationError):
            return None
        except Exception:  # a malformed stored hash
            return None
        return user if stored else None
