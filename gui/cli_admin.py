"""Headless administration subcommands: ``backup``, ``restore`` and ``check``. Imports no Qt.

- ``coordinacion --db PATH backup --out FILE`` (or ``--folder DIR`` for a timestamped, rotated backup);
- ``coordinacion --db PATH restore FILE --yes`` (without ``--yes`` it only verifies and explains);
- ``coordinacion --db PATH check``: exit 0 when the file, its references and the audit chain are sound, else 1.

None of them opens the database through ``ensure_database``: a backup or a check must not upgrade or write
the file, and a damaged file must still be checkable and restorable. Registered by listing
:func:`add_admin` in ``gui.cli.REGISTRARS``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def cmd_backup(args: argparse.Namespace) -> int:
    """Consistent backup of the database to a file, or into a rotated folder."""
    from models.services import backup

    try:
        if args.folder:
            result = backup.backup_to_folder(args.db, args.folder)
            print(f"Respaldo escrito en {result.path}")
            for path in result.removed:
                print(f"Respaldo antiguo eliminado por la rotación: {path.name}")
            return _documents_report(result.documents)
        out = backup.backup_to(args.db, args.out)
        checked = backup.verify_backup(out)
        if not checked.ok:
            print("Error: el respaldo escrito no pasó la verificación: " + " ".join(checked.problems), file=sys.stderr)
            return 1
        documents = backup.backup_documents(out)
    except backup.BackupError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    print(f"Respaldo escrito y verificado en {out} (esquema {checked.schema_version})")
    return _documents_report(documents)


def _documents_report(documents) -> int:
    """Print what happened to the attached documents; exit 1 when any is missing or altered."""
    print(documents.summary().capitalize() + ".")
    for problem in documents.problems:
        print(f"Aviso: {problem}", file=sys.stderr)
    return 1 if documents.problems else 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Verify a backup and, with ``--yes``, replace the database by it (keeping a copy of the current file)."""
    from models.services import backup

    checked = backup.verify_backup(args.file)
    if not checked.ok:
        print("Error: no se restauró; el respaldo no es válido. " + " ".join(checked.problems)
              + " La base de datos actual no se modificó.", file=sys.stderr)
        return 1
    if not args.yes:
        print(f"El respaldo {args.file} es válido (esquema {checked.schema_version}).")
        print(f"Restaurarlo reemplaza la base de datos {args.db}; antes se guarda una copia del archivo actual "
              "junto a él (…antes-de-restaurar-…). Cierre la aplicación y repita el comando con --yes para confirmar.")
        return 2
    try:
        result = backup.restore(args.file, args.db)
    except backup.BackupError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    print(f"Base de datos restaurada desde {args.file}.")
    if result.previous_copy:
        print(f"Copia del archivo anterior: {result.previous_copy}")
    return _documents_report(result.documents)


def cmd_check(args: argparse.Namespace) -> int:
    """Integrity check, foreign-key check and audit-chain verification; one line per problem."""
    from models.services import backup

    result = backup.check(Path(args.db))
    if result.ok:
        print(f"Sin problemas: integridad del archivo, referencias y bitácora de auditoría verificadas ({args.db}).")
        return 0
    for line in result.messages():
        print(line)
    print(f"Se encontraron {len(result.messages())} problema(s) en {args.db}.", file=sys.stderr)
    return 1


def add_admin(subparsers) -> None:
    """Register ``backup``, ``restore`` and ``check``."""
    b = subparsers.add_parser("backup", help="respaldar la base de datos (copia consistente, aun con la aplicación abierta)")
    where = b.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", help="archivo de respaldo a escribir")
    where.add_argument("--folder", help="carpeta de respaldos con rotación (7 diarios, 4 semanales, 12 mensuales)")
    b.set_defaults(func=cmd_backup)
    r = subparsers.add_parser("restore", help="restaurar la base de datos desde un respaldo (verifica antes)")
    r.add_argument("file", help="archivo de respaldo")
    r.add_argument("--yes", action="store_true", help="confirmar el reemplazo de la base de datos actual")
    r.set_defaults(func=cmd_restore)
    c = subparsers.add_parser("check", help="verificar integridad, referencias y la cadena de la bitácora de auditoría")
    c.set_defaults(func=cmd_check)
