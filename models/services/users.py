"""Users, sign-in and permissions (issue 9). No Qt; services call :func:`require` before they write.

Roles (``models.enums.UserRole``):

- **Administrador**: users and settings, and everything else.
- **Coordinador estatal**: everything for their state: captures, retires (deletions), weekend targets, imports,
  report signatures.
- **Capturista**: creates and edits records and imports; no retirements, no targets, no settings.
- **Solo consulta**: reads and prints.

A user is scoped to one state (``state_id``) or national (None); a state user may only write records of
their state. Passwords are hashed with scrypt (memory-hard; hashlib, no extra dependency) and never stored
or logged in clear. Failed sign-ins delay the next try (3 free attempts, then 5 s, 10 s, 20 s… up to 5 min).

Setup mode: until the first administrator exists (a fresh database, and every test that does not create
users) :func:`require` allows everything, so the first start can create that administrator. Once one user
exists every write names a known, active user with the right role.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.entities import State, User
from models.enums import UserRole
from models.services import audit

# actions a service may ask about
EDIT, RETIRE, TARGETS, IMPORT, SETTINGS, USERS = "edit", "retire", "targets", "import", "settings", "users"
ACTION_LABELS = {EDIT: "capturar o modificar registros", RETIRE: "dar de baja o eliminar registros",
                 TARGETS: "fijar metas", IMPORT: "importar archivos", SETTINGS: "cambiar la configuración",
                 USERS: "administrar usuarios"}
ALLOWED: dict[UserRole, frozenset[str]] = {
    UserRole.ADMINISTRADOR: frozenset({EDIT, RETIRE, TARGETS, IMPORT, SETTINGS, USERS}),
    UserRole.COORDINADOR: frozenset({EDIT, RETIRE, TARGETS, IMPORT, SETTINGS}),
    UserRole.CAPTURISTA: frozenset({EDIT, IMPORT}),
    UserRole.CONSULTA: frozenset(),
}
FREE_ATTEMPTS = 3
FIRST_DELAY = timedelta(seconds=5)
MAX_DELAY = timedelta(minutes=5)
MIN_PASSWORD = 8
_SCRYPT = dict(n=2 ** 14, r=8, p=1, dklen=32)  # ~16 MB of memory per hash: costly to brute-force offline


class AuthError(Exception):
    """Sign-in refused (wrong user or password, inactive user, delay after failed attempts); Spanish message."""


@dataclass(frozen=True)
class UserInfo:
    """A user as the UI and the permission checks need it (no password material)."""

    id: int
    username: str
    full_name: str
    role: str
    state_id: int | None
    active: bool

    @property
    def role_label(self) -> str:
        return UserRole(self.role).label

    def can(self, action: str, state_id: int | None = None) -> bool:
        return allowed(self.role, self.state_id, action, state_id)


def _info(user: User) -> UserInfo:
    return UserInfo(user.id, user.username, user.full_name, UserRole(user.role).value, user.state_id, user.active)


# ------------------------------------------------------------------------------------------------ passwords

def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    got = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                         dklen=len(digest) // 2)
    return hmac.compare_digest(got.hex(), digest)


def password_problem(password: str, username: str = "") -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"La contraseña debe tener al menos {MIN_PASSWORD} caracteres."
    if username and password.strip().lower() == username.strip().lower():
        return "La contraseña no puede ser igual al nombre de usuario."
    return None


# ------------------------------------------------------------------------------------------------ permissions

def allowed(role: UserRole | str, user_state: int | None, action: str, state_id: int | None = None) -> bool:
    """Pure rule: may a user of ``role`` scoped to ``user_state`` do ``action`` on a record of ``state_id``?"""
    if action not in ALLOWED[UserRole(role)]:
        return False
    return user_state is None or state_id is None or user_state == state_id


def has_users(session: Session) -> bool:
    return session.scalar(select(func.count()).select_from(User)) > 0


def find_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(func.lower(User.username) == username.strip().lower())).one_or_none()


def require(session: Session, username: str, action: str, state_id: int | None = None) -> None:
    """Raise PermissionError (Spanish) unless ``username`` may do ``action`` on a record of ``state_id``."""
    if not has_users(session):
        return  # setup mode: no user exists yet
    user = find_user(session, username)
    if user is None or not user.active:
        raise PermissionError(f"El usuario «{username}» no existe o está desactivado; no puede {ACTION_LABELS[action]}.")
    if action not in ALLOWED[UserRole(user.role)]:
        raise PermissionError(f"Su rol ({UserRole(user.role).label}) no permite {ACTION_LABELS[action]}.")
    if user.state_id is not None and state_id is not None and user.state_id != state_id:
        name = session.get(State, state_id)
        raise PermissionError(f"Su usuario está asignado a otra entidad; no puede {ACTION_LABELS[action]} de "
                              f"{name.short_name if name else 'esa entidad'}.")


def require_for_establishments(session: Session, username: str, action: str, establishment_ids) -> None:
    """:func:`require` for every state the given establishments belong to (bulk operations)."""
    from models.entities import Establishment

    if not has_users(session):
        return
    ids = list(dict.fromkeys(establishment_ids))
    states: set[int] = set()
    for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
        states |= set(session.scalars(select(Establishment.state_id).where(Establishment.id.in_(ids[start:start + 900]))))
    for state_id in states or {None}:
        require(session, username, action, state_id)


# ------------------------------------------------------------------------------------------------ users

def _check_new(session: Session, username: str, role: UserRole | str, state_id: int | None, password: str) -> str:
    username = username.strip()
    if not username or len(username) > 80 or any(c.isspace() for c in username):
        raise ValueError("El nombre de usuario es obligatorio, sin espacios, de hasta 80 caracteres.")
    if find_user(session, username) is not None:
        raise ValueError(f"Ya existe el usuario «{username}».")
    try:
        UserRole(role)
    except ValueError:
        raise ValueError(f"Rol desconocido: {role}.") from None
    if state_id is not None and session.get(State, state_id) is None:
        raise ValueError("Entidad desconocida.")
    problem = password_problem(password, username)
    if problem:
        raise ValueError(problem)
    return username


def _new_user(session: Session, username: str, full_name: str, role: UserRole | str, state_id: int | None,
              password: str, actor: str) -> UserInfo:
    user = User(username=username, full_name=" ".join(full_name.split()), role=UserRole(role), state_id=state_id,
                password_hash=hash_password(password), active=True, failed_attempts=0, changed_by=actor)
    session.add(user)
    session.flush()
    audit.record(session, actor, "crear", "usuario", user.uuid, None,
                 {"username": username, "full_name": user.full_name, "role": UserRole(role).value,
                  "state_id": state_id})
    return _info(user)


def create_first_admin(session: Session, username: str, full_name: str, password: str) -> UserInfo:
    """The first start creates the administrator (national scope); refused once any user exists."""
    if has_users(session):
        raise PermissionError("Ya existe un administrador; pida a un administrador que le cree un usuario.")
    username = _check_new(session, username, UserRole.ADMINISTRADOR, None, password)
    return _new_user(session, username, full_name, UserRole.ADMINISTRADOR, None, password, username)


def add_user(session: Session, actor: str, username: str, full_name: str, role: UserRole | str,
             state_id: int | None, password: str) -> UserInfo:
    require(session, actor, USERS)
    username = _check_new(session, username, role, state_id, password)
    return _new_user(session, username, full_name, role, state_id, password, actor)


def list_users(session: Session) -> list[UserInfo]:
    return [_info(u) for u in session.scalars(select(User).order_by(User.username))]


def _delay(failures: int) -> timedelta:
    if failures < FREE_ATTEMPTS:
        return timedelta(0)
    return min(MAX_DELAY, FIRST_DELAY * 2 ** (failures - FREE_ATTEMPTS))


def authenticate(session: Session, username: str, password: str, now: datetime | None = None) -> UserInfo:
    """Check a sign-in. Failures are counted in the caller's transaction, which must be committed even when
    AuthError is raised (``with factory.begin()`` rolls back on an exception: use :func:`sign_in`)."""
    now = now or utcnow()
    user = find_user(session, username)
    if user is None or not user.active:
        check_password(password, hash_password("x" * MIN_PASSWORD))  # same cost: do not reveal which users exist
        raise AuthError("Usuario o contraseña incorrectos.")
    if user.locked_until is not None and user.locked_until > now:
        wait = int((user.locked_until - now).total_seconds()) + 1
        raise AuthError(f"Demasiados intentos fallidos. Espere {wait} segundos antes de volver a intentar.")
    if not check_password(password, user.password_hash):
        user.failed_attempts = (user.failed_attempts or 0) + 1
        delay = _delay(user.failed_attempts)
        user.locked_until = now + delay if delay else None
        session.flush()
        audit.record(session, user.username, "acceso_fallido", "usuario", user.uuid)
        extra = f" Espere {int(delay.total_seconds())} segundos antes del siguiente intento." if delay else ""
        raise AuthError("Usuario o contraseña incorrectos." + extra)
    user.failed_attempts = 0
    user.locked_until = None
    session.flush()
    audit.record(session, user.username, "acceso", "usuario", user.uuid)
    return _info(user)


def sign_in(factory, username: str, password: str, now: datetime | None = None) -> UserInfo:
    """Authenticate in its own transaction, committing the failure count too; raises AuthError."""
    with factory() as session:
        try:
            info = authenticate(session, username, password, now)
        except AuthError:
            session.commit()
            raise
        session.commit()
        return info


def change_password(session: Session, username: str, old: str, new: str) -> None:
    user = find_user(session, username)
    if user is None or not check_password(old, user.password_hash):
        raise AuthError("La contraseña actual no es correcta.")
    problem = password_problem(new, user.username)
    if problem:
        raise ValueError(problem)
    user.password_hash = hash_password(new)
    user.changed_by = user.username
    session.flush()
    audit.record(session, user.username, "cambiar_contrasena", "usuario", user.uuid)


def reset_password(session: Session, actor: str, username: str, new: str) -> None:
    """An administrator sets a new password (and clears the failed-attempt delay)."""
    require(session, actor, USERS)
    user = find_user(session, username)
    if user is None:
        raise ValueError(f"No existe el usuario «{username}».")
    problem = password_problem(new, user.username)
    if problem:
        raise ValueError(problem)
    user.password_hash = hash_password(new)
    user.failed_attempts = 0
    user.locked_until = None
    user.changed_by = actor
    session.flush()
    audit.record(session, actor, "restablecer_contrasena", "usuario", user.uuid)


def set_active(session: Session, actor: str, username: str, active: bool) -> UserInfo:
    require(session, actor, USERS)
    user = find_user(session, username)
    if user is None:
        raise ValueError(f"No existe el usuario «{username}».")
    if not active and user.username == find_user(session, actor).username:
        raise ValueError("No puede desactivar su propio usuario.")
    user.active = active
    user.changed_by = actor
    session.flush()
    audit.record(session, actor, "activar" if active else "desactivar", "usuario", user.uuid)
    return _info(user)
