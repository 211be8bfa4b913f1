"""Story steps the real-client scenarios tell the same way, each with the checks of what its
user saw."""

from __future__ import annotations

from scenarios.lab.lab import Account, Lab
from scenarios.lab.ledger_view import LedgerView
from scenarios.lab.real_actors import RealCodexCli, Shown
from scenarios.lab.real_hermes import RealHermes
from scenarios.lab.real_openclaw import RealOpenClaw
from scenarios.suites.real_cli_race import SIGNED_OUT


def cli_signs_in(cli: RealCodexCli, account: Account) -> None:
    login = cli.login(account)
    assert login.ok, login.text[-2000:]


def cli_answers(cli: RealCodexCli, prompt: str) -> Shown:
    turn = cli.exec(prompt)
    assert turn.ok and f"you said: {prompt}" in turn.stdout, turn.text[-2000:]
    return turn


def cli_is_signed_out(cli: RealCodexCli, prompt: str) -> Shown:
    """The CLI's next turn after the login was revoked: no answer, told to sign in again."""
    after = cli.exec(prompt)
    assert not after.ok, after.text[-2000:]
    assert SIGNED_OUT in after.stderr, after.stderr[-2000:]
    return after


def hermes_imports_the_cli_login(hermes: RealHermes) -> None:
    imported = hermes.import_codex()
    assert imported.ok and "Credentials imported." in imported.stdout, imported.text[-2000:]


def openclaw_gets_the_cli_login(hermes: RealHermes, claw: RealOpenClaw) -> None:
    """The only way a user has: Hermes imports the CLI's login, OpenClaw migrates Hermes's."""
    hermes_imports_the_cli_login(hermes)
    migrated = claw.import_hermes(hermes.hermes_home)
    assert migrated.ok, migrated.text[-2000:]


def the_one_login(ledger: LedgerView) -> str:
    """The family id of the story's one login (however many stores hold it)."""
    (family,) = [f["family_id"] for f in ledger.families]
    return str(family)


def one_503_on_the_next_refresh(lab: Lab) -> None:
    lab.world.oauth.arm_fault("error_5xx", match={"grant_type": "refresh_token"}, count=1)
    lab.note("arm one 503 on the next refresh", source="lab", target="oauth")
