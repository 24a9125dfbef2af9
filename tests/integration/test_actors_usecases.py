"""The actors service's use cases on their own unit of work (SQLite and PostgreSQL): an editor's
change that changes nothing leaves no audit entry and no event, and a refused change writes
nothing. The routes' tests cover the rest."""

from collections.abc import Iterator

import pytest

from npa.infrastructure.editor_identity import Editor
from npa.infrastructure.unit_of_work import EngineUnitOfWork
from services.actors.usecases.editor_accounts import AccountError
from services.actors.usecases import editor_accounts, registry
from tests.support.unit_of_work import audit_and_staged, migrated

ANNA = Editor("editor-1", "anna", "Anna Beispiel")
ACTOR = {"name": "Sprachcafé Linden", "kind": "initiative", "districts": ["03241"], "fields": ["sprache"]}


@pytest.fixture
def uow(database_url: str) -> Iterator[EngineUnitOfWork]:
    with migrated(database_url, "actors") as unit:
        yield unit


def test_an_editors_change_that_changes_nothing_leaves_no_trace(uow):  # noqa: ANN001
    actor_id = registry.register_actor(uow, ACTOR, by=ANNA)["id"]
    assert registry.update_actor(uow, actor_id, ACTOR, by=ANNA)["version"] == 1
    registry.deactivate_actor(uow, actor_id, by=ANNA)
    assert registry.deactivate_actor(uow, actor_id, by=ANNA)["version"] == 2
    with pytest.raises(registry.ActorNotFound):
        registry.update_actor(uow, "no-such-actor", ACTOR, by=ANNA)
    assert audit_and_staged(uow) == (["actor.registered", "actor.deactivated"], 2)


def test_a_refused_account_change_writes_nothing(uow):  # noqa: ANN001
    editor_accounts.create_editor(uow, "Anna", "Anna Beispiel", "korrekt Pferd Batterie 7", by=ANNA)
    with pytest.raises(AccountError, match="no account 'bert'"):
        editor_accounts.set_enabled(uow, "bert", False, by=ANNA)
    with pytest.raises(AccountError, match="at least 12"):
        editor_accounts.change_password(uow, "anna", "kurz", by=ANNA)
    assert audit_and_staged(uow) == (["editor.created"], 0)
    (account,) = editor_accounts.list_accounts(uow)  # detached, still readable
    assert (account.login, account.display_name, account.active) == ("anna", "Anna Beispiel", True)
    signed_in = editor_accounts.sign_in(uow, "anna", "korrekt Pferd Batterie 7", secret="s", client="192.0.2.1")
    assert signed_in is not None and signed_in.login == "anna"
