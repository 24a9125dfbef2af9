"""`npa-editors`: editor accounts on the command line (the only way to create one).

    npa-editors create LOGIN --name "Anna Beispiel"   # asks for the password twice
    npa-editors password LOGIN                        # a new password
    npa-editors disable LOGIN | enable LOGIN
    npa-editors list

The password is read from the terminal, or from standard input with `--password-stdin` (one
line; for scripts). The database is the actors service's (`NPA_ACTORS_DATABASE_URL`, or
`--database-url`); it is migrated first. Every change is written to the audit trail.
"""

import argparse
import getpass
import sys
from pathlib import Path

from sqlmodel import Session, select

from npa.infrastructure import audit
from npa.infrastructure.database import make_engine, run_migrations
from npa.infrastructure.editor_session import Editor
from npa.infrastructure.settings import load_settings
from services.actors.editors import accounts
from services.actors.models import EditorAccount

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
COMMAND_LINE = Editor("npa-editors", "npa-editors", "Kommandozeile")


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Passwort: ")
    if getpass.getpass("Passwort wiederholen: ") != first:
        raise accounts.AccountError("password", "the two passwords differ")
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
    try:
        with Session(engine) as session:
            if args.command == "list":
                for account in session.exec(select(EditorAccount).order_by(EditorAccount.login)):
                    state = "aktiv" if account.active else "gesperrt"
                    print(f"{account.login}\t{account.display_name}\t{state}\t{account.last_sign_in_at or '-'}")
                return 0
            if args.command == "create":
                account = accounts.create_account(session, args.login, args.name, _password(args))
                action = "editor.created"
            elif args.command == "password":
                account = accounts.set_password(session, args.login, _password(args))
                action = "editor.password_changed"
            else:
                account = accounts.set_active(session, args.login, args.command == "enable")
                action = f"editor.{args.command}d"
            session.flush()
            audit.record(session, COMMAND_LINE, action, "editor", account.id, f"{account.login} ({account.display_name})")
            session.commit()
            print(f"{action}: {account.login}")
            return 0
    except accounts.AccountError as error:
        print(f"npa-editors: {error.field}: {error}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
