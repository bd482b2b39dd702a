"""Entry point: ``coordinacion [--db PATH] [SUBCOMMAND …]``. Subcommands are headless and load no Qt."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from gui.cli import build_parser, run_headless

    args = build_parser().parse_args(argv)
    if args.command is not None:
        return run_headless(args)
    if args.self_test:
        from gui.self_test import run_self_test

        return run_self_test(args)
    from gui.app import run_gui  # Qt is imported only here

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
