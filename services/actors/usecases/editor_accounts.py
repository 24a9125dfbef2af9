"""Editor accounts (ADR 21): what `npa-editors` and the sign-in page do with them, and the rules.

The use cases (`create_editor`, `change_password`, `set_enabled`, `list_accounts`, `sign_in`)
own their transaction and write every change to the audit trail in it (ADR 25); the steps they
are composed of (`create_account`, `set_password`, `set_active`, `authenticate`) work in the
caller's transaction. Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's
second recommended profile); a hash made with older parameters is renewed at the next sign-in.

Sign-in is throttled per login and per client in the database (npa.infrastructure.throttle):
10 tries per login and 30 per client in 15 minutes.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session, select

from npa.infrastructure import audit, editor_revocations, throttle
from npa.infrastructure.editor_identity import Editor
from npa.infrastructure.outbox import utcnow
from npa.infrastructure.unit_of_work import UnitOfWork
from services.actors.models import EditorAccount

PER_LOGIN = throttle.Limit("sign-in-login", 10, 900)
PER_CLIENT = throttle.Limit("sign-in-client", 30, 900)
HASHER = PasswordHasher()
# Verified against when the login is unknown, so the answer takes as long as for a known one.
_UNKNOWN = HASHER.hash("not a password of anyone")
LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
MIN_PASSWORD_LENGTH = 12


class AccountError(ValueError):
    """A rule for accounts was broken; `field` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class AccountChange:
    """A change to an account, as the audit trail names it."""

    action: str
    login: str


def create_editor(uow: UnitOfWork, login: str, display_name: str, password: str, *, by: Editor) -> AccountChange:
    """Raises AccountError for a login, name or password that breaks a rule."""
    return _audited(uow, by, "editor.created",
                    lambda session: create_account(session, login, display_name, password))


def change_password(uow: UnitOfWork, login: str, password: str, *, by: Editor) -> AccountChange:
    """Ends every session of the account (set_password)."""
    return _audited(uow, by, "editor.password_changed",
                    lambda session: set_password(session, login, password))


def set_enabled(uow: UnitOfWork, login: str, active: bool, *, by: Editor) -> AccountChange:
    """Disabling ends every session of the account (set_active)."""
    return _audited(uow, by, "editor.enabled" if active else "editor.disabled",
                    lambda session: set_active(session, login, active))


def _audited(uow: UnitOfWork, by: Editor, action: str, change: Callable[[Session], EditorAccount]) -> AccountChange:
    with uow.transaction() as session:
        account = change(session)
        session.flush()  # a new account gets its id
        audit.record(session, by, action, "editor", account.id, f"{account.login} ({account.display_name})")
        session.commit()
    return AccountChange(action, account.login)


def list_accounts(uow: UnitOfWork) -> list[EditorAccount]:
    with uow.reading() as session:
        return list(session.exec(select(EditorAccount).order_by(EditorAccount.login)))


def sign_in(uow: UnitOfWork, login: str, password: str, *, secret: str, client: str) -> Editor | None:
    """The editor, or None for a wrong login or password or a disabled account. Raises
    throttle.Throttled once the login or the client has tried too often. Every try counts, a
    refused one too, so the count is committed before the password is checked."""
    with uow.transaction() as session:
        try:
            throttle.hit(session, [(PER_LOGIN, throttle.subject_key(secret, login)),
                                   (PER_CLIENT, throttle.subject_key(secret, client))])
        finally:
            session.commit()
        editor = authenticate(session, login, password)
        session.commit()
    return editor


def normalise_login(login: str) -> str:
    return login.strip().casefold()


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password", f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 1000:
        raise AccountError("password", "the password is longer than 1000 characters")


def find(session: Session, login: str) -> EditorAccount | None:
    return session.exec(select(EditorAccount).where(EditorAccount.login == normalise_login(login))).first()


def create_account(session: Session, login: str, display_name: str, password: str) -> EditorAccount:
    login = normalise_login(login)
    if not LOGIN.match(login):
        raise AccountError("login", "a login is 2–60 of a-z, 0-9, '.', '_', '-', starting with a letter or digit")
    display_name = " ".join(display_name.split())
    if not 2 <= len(display_name) <= 150 or not display_name.isprintable():
        raise AccountError("display_name", "a display name is 2–150 printable characters")
    if find(session, login) is not None:
        raise AccountError("login", f"an account {login!r} exists already")
    check_password(password)
    account = EditorAccount(login=login, display_name=display_name, password_hash=HASHER.hash(password))
    session.add(account)
    return account


def set_password(session: Session, login: str, password: str) -> EditorAccount:
    """A new password ends every session of the account (whoever may know the old one)."""
    account = _existing(session, login)
    check_password(password)
    account.password_hash, account.password_changed_at = HASHER.hash(password), utcnow()
    session.add(account)
    editor_revocations.revoke_sessions(session, account.id, "password_changed", account.password_changed_at)
    return account


def set_active(session: Session, login: str, active: bool) -> EditorAccount:
    """Disabling ends every session of the account on every service (ADR 21); enabling does not
    bring them back: the editor signs in again."""
    account = _existing(session, login)
    account.active = active
    session.add(account)
    if not active:
        editor_revocations.revoke_sessions(session, account.id, "disabled")
    return account


def _existing(session: Session, login: str) -> EditorAccount:
    account = find(session, login)
    if account is None:
        raise AccountError("login", f"no account {normalise_login(login)!r}")
    return account


def authenticate(session: Session, login: str, password: str, now: datetime | None = None) -> Editor | None:
    """The editor, if the login exists, is active and the password is right; else None."""
    account = find(session, login) if len(login) <= 60 and len(password) <= 1000 else None
    if account is None or not account.active:
        _verify(_UNKNOWN, password)
        return None
    if not _verify(account.password_hash, password):
        return None
    if HASHER.check_needs_rehash(account.password_hash):
        account.password_hash = HASHER.hash(password)
    account.last_sign_in_at = now or utcnow()
    session.add(account)
    return as_editor(account)


def as_editor(account: EditorAccount) -> Editor:
    return Editor(account.id, account.login, account.display_name)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
