"""`npa-editors`: editor accounts on the command line (the only way to create one).

    npa-editors create LOGIN --name "Anna Beispiel"   # asks for the password twice
    npa-editors password LOGIN                        # a new password
    npa-editors disable LOGIN | enable LOGIN
    npa-editors list

The password is read from the terminal, or from standard input with `--password-stdin` (one
line; for scripts). The database is the actors service's (`NPA_ACTORS_DATABASE_URL`, or
`--database-url`); it is migrated first. Every change is written to the audit trail, by the
account use cases (usecases/editor_accounts.py), which own their transactions.
"""

import argparse
import getpass
import sys
from pathlib import Path

from npa.infrastructure.database import make_engine, run_migrations
from npa.infrastructure.editor_identity import Editor
from npa.infrastructure.settings import load_settings
from npa.infrastructure.unit_of_work import EngineUnitOfWork
from services.actors.usecases import editor_accounts

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
COMMAND_LINE = Editor("npa-editors", "npa-editors", "Kommandozeile")


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Passwort: ")
    if getpass.getpass("Passwort wiederholen: ") != first:
        raise editor_accounts.AccountError("password", "the two passwords differ")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="npa-editors", description="Editor accounts of the NPA platform")
    parser.add_argument("--database-url", help="the actors database (default: NPA_ACTORS_DATABASE_URL)")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create an account")
    create.add_argument("login")
    create.add_argument("--name", required=True, help="display name, shown in the audit trail")
    create.add_argument("--password-stdin", action="store_true")
    password = commands.add_parser("password", help="set a new password")
    password.add_argument("login")
    password.add_argument("--password-stdin", action="store_true")
    for name in ("disable", "enable"):
        commands.add_parser(name, help=f"{name} an account").add_argument("login")
    commands.add_parser("list", help="list the accounts")
    args = parser.parse_args(argv)

    url = args.database_url or load_settings("actors").database_url
    run_migrations(MIGRATIONS, url)
    engine = make_engine(url)
    uow = EngineUnitOfWork(engine)
    try:
        if args.command == "list":
            for account in editor_accounts.list_accounts(uow):
                state = "aktiv" if account.active else "gesperrt"
                print(f"{account.login}\t{account.display_name}\t{state}\t{account.last_sign_in_at or '-'}")
            return 0
        if args.command == "create":
            change = editor_accounts.create_editor(uow, args.login, args.name, _password(args), by=COMMAND_LINE)
        elif args.command == "password":
            change = editor_accounts.change_password(uow, args.login, _password(args), by=COMMAND_LINE)
        else:
            change = editor_accounts.set_enabled(uow, args.login, args.command == "enable", by=COMMAND_LINE)
        print(f"{change.action}: {change.login}")
        return 0
    except editor_accounts.AccountError as error:
        print(f"npa-editors: {error.field}: {error}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
