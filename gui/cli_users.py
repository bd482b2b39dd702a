"""Headless users and sign-in: ``users add|list|passwd`` and the identity check every headless command runs
once any user exists (no Qt).

Identity: ``--user NAME`` (or ``COORDINACION_USER``; default the operating-system user) with the password from
``COORDINACION_PASSWORD`` or, on a terminal, a prompt. Until the first administrator exists the database is in
setup mode and commands run as the operating-system user. The file-level commands (backup, restore, check)
never open the database through the models and need no sign-in.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys

NO_SIGN_IN = {"backup", "restore", "check"}
PASSWORD_ENV = "COORDINACION_PASSWORD"
NEW_PASSWORD_ENV = "COORDINACION_NEW_PASSWORD"


def _ask(prompt: str, env: str) -> str | None:
    value = os.environ.get(env)
    if value is not None:
        return value
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(prompt)
    return None


def _has_users(db: str) -> bool:
    """Whether the database exists and has a user, read without creating or upgrading anything."""
    import sqlite3
    from pathlib import Path

    from models.db import is_url

    if is_url(db):
        return _server_has_users(db)
    path = Path(db)
    if not path.is_file():
        return False
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, timeout=10)
        try:
            return bool(conn.execute("SELECT 1 FROM users LIMIT 1").fetchone())
        finally:
            conn.close()
    except sqlite3.Error:
        return False  # no users table yet (or unreadable: the command itself will say so)


def _server_has_users(url: str) -> bool:
    """The same question for a server database (PostgreSQL). Unreachable → False: the command says why."""
    from sqlalchemy import inspect, text
    from sqlalchemy.exc import SQLAlchemyError

    from models.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("users"):
                return False
            return conn.execute(text("SELECT 1 FROM users LIMIT 1")).first() is not None
    except SQLAlchemyError:
        return False
    finally:
        engine.dispose()


def sign_in_headless(args: argparse.Namespace) -> int | None:
    """Authenticate the acting user when the database has users; None when fine, else an exit code."""
    from gui.cli import _open
    from models.paths import current_username
    from models.services import users

    if getattr(args, "command", None) in NO_SIGN_IN or not _has_users(args.db):
        return None
    _engine, factory, _status = _open(args.db)
    name = getattr(args, "user", None) or current_username()
    password = _ask(f"Contraseña de {name}: ", PASSWORD_ENV)
    if password is None:
        print(f"Esta base de datos tiene usuarios: indique la contraseña de «{name}» en la variable "
              f"{PASSWORD_ENV} o ejecute el comando en una terminal.", file=sys.stderr)
        return 5
    try:
        info = users.sign_in(factory, name, password)
    except users.AuthError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 5
    os.environ["COORDINACION_USER"] = info.username  # current_username() now names the signed-in user
    return None


def _state_id(session, key: str | None):
    from models.services import office

    if not key:
        return None
    state = office.find_state(session, key)
    if state is None:
        raise ValueError(f"Entidad desconocida: {key}")
    return state.id


def _new_password(username: str) -> str | None:
    first = _ask(f"Contraseña nueva de {username}: ", NEW_PASSWORD_ENV)
    if first is None:
        print(f"Indique la contraseña nueva en la variable {NEW_PASSWORD_ENV} o ejecute el comando en una terminal.",
              file=sys.stderr)
        return None
    if NEW_PASSWORD_ENV not in os.environ and getpass.getpass("Repítala: ") != first:
        print("Las contraseñas no coinciden.", file=sys.stderr)
        return None
    return first


def cmd_users(args: argparse.Namespace) -> int:
    from gui.cli import _open
    from models.enums import UserRole
    from models.paths import current_username
    from models.services import users

    _engine, factory, _status = _open(args.db)
    actor = current_username()
    try:
        if args.action == "list":
            with factory() as session:
                from models.services import office

                names = {s.id: s.short_name for s in office.list_states(session)}
                rows = users.list_users(session)
            if not rows:
                print("No hay usuarios: la base está en modo de configuración (el primero que se agregue será "
                      "el administrador).")
            for u in rows:
                scope = names.get(u.state_id, "Nacional") if u.state_id else "Nacional"
                state = "" if u.active else "  (desactivado)"
                print(f"{u.username:<20} {u.role_label:<22} {scope:<20} {u.full_name}{state}")
            return 0
        if args.action == "add":
            password = _new_password(args.username)
            if password is None:
                return 2
            with factory.begin() as session:
                if not users.has_users(session):
                    info = users.create_first_admin(session, args.username, args.name or "", password)
                    print(f"Administrador «{info.username}» creado (primer usuario).")
                    return 0
                role = UserRole[args.role] if args.role in UserRole.__members__ else UserRole(args.role)
                info = users.add_user(session, actor, args.username, args.name or "", role,
                                      _state_id(session, args.state), password)
            print(f"Usuario «{info.username}» creado ({info.role_label}).")
            return 0
        if args.action == "passwd":
            password = _new_password(args.username)
            if password is None:
                return 2
            with factory.begin() as session:
                if args.username.lower() == actor.lower() and os.environ.get(PASSWORD_ENV) is not None:
                    users.change_password(session, actor, os.environ[PASSWORD_ENV], password)
                else:
                    users.reset_password(session, actor, args.username, password)
            print(f"Contraseña de «{args.username}» cambiada.")
            return 0
    except (ValueError, PermissionError, users.AuthError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    return 2


def add_users(subparsers) -> None:
    """Register ``users add|list|passwd``."""
    from models.enums import UserRole

    p = subparsers.add_parser("users", help="usuarios: agregar, listar, cambiar contraseña")
    p.add_argument("action", choices=("add", "list", "passwd"))
    p.add_argument("username", nargs="?", default="")
    p.add_argument("--role", default="CAPTURISTA", choices=[r.value for r in UserRole],
                   help="rol del usuario nuevo (el primer usuario siempre es ADMINISTRADOR)")
    p.add_argument("--state", help="entidad del usuario (clave INEGI, prefijo CLUES o nombre); nacional si se omite")
    p.add_argument("--name", help="nombre completo")
    p.set_defaults(func=cmd_users)
