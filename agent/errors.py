"""Typed errors of the agent: every failure says what happened, why, and what to do.

`AgentError` is the base. Each error has a stable `code` (machine-readable; also what the store
records as the last auth error and what `status --json` prints), a user-facing `message` (what
happened), a `diagnosis` (why, as precisely as the agent can tell), a `remedy` (what the user
should do) and `retryable` (whether trying the same thing again later can succeed without the
user doing anything).

No error ever carries a token, a code verifier or an authorization code: messages are built from
codes, statuses and fingerprints only.

The turn engine (next issue) raises the backend errors (`TokenInvalidated`, `TokenExpired`,
`TokenRevoked`, built with `backend_auth_error`) after a 401 from the Codex backend, and calls
`CredentialManager.recover_after_rejection` once before giving up.
"""

from __future__ import annotations

from pathlib import Path

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see agent.cli)
if TYPE_CHECKING:
    from typing import Any

LOGIN_REMEDY = "run `codex-agent login` (or `codex-agent import-codex` after `codex login`)"


class AgentError(Exception):
    """Base of every error the agent reports to a user."""

    code: str = "agent_error"
    default_message: str = "The agent failed."
    default_diagnosis: str = ""
    default_remedy: str = ""
    retryable: bool = False

    def __init__(
        self,
        message: str | None = None,
        *,
        diagnosis: str | None = None,
        remedy: str | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.diagnosis = diagnosis if diagnosis is not None else self.default_diagnosis
        self.remedy = remedy if remedy is not None else self.default_remedy
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        """The public shape (status --json, the store's last error, session logs)."""
        return {
            "code": self.code,
            "message": self.message,
            "diagnosis": self.diagnosis,
            "remedy": self.remedy,
            "retryable": self.retryable,
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


# --- configuration ---------------------------------------------------------------------------


class ConfigError(AgentError):
    """A setting is wrong: names the file (or variable), the key and what is wrong."""

    code = "config_invalid"

    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        super().__init__(
            f"{source}: `{key}`: {problem}",
            diagnosis="the agent's configuration cannot be used as written",
            remedy=f"fix `{key}` in {source}",
        )


# --- authentication --------------------------------------------------------------------------


class AuthError(AgentError):
    """Anything that stops the agent from holding a live access token."""

    code = "auth_error"


class NotLoggedIn(AuthError):
    code = "not_logged_in"
    default_message = "The agent is not logged in."
    default_diagnosis = "there is no login in the agent's store"
    default_remedy = LOGIN_REMEDY


class RefreshTokenReused(AuthError):
    code = "refresh_token_reused"
    default_message = (
        "Your access token could not be refreshed because your refresh token was already used. "
        "Please log out and sign in again."
    )
    default_diagnosis = (
        "the refresh token was already consumed by another client (Codex CLI or VS Code "
        "extension) sharing this login; the server treats a second use as theft and may have "
        "revoked the whole login"
    )
    default_remedy = (
        "run `codex-agent login` (a login of the agent's own, rather than `import-codex`, is "
        "never rotated by other clients)"
    )


class RefreshTokenExpired(AuthError):
    code = "refresh_token_expired"
    default_message = (
        "Your access token could not be refreshed because your refresh token has expired. "
        "Please log out and sign in again."
    )
    default_diagnosis = "the login is too old: the server no longer accepts its refresh token"
    default_remedy = "run `codex-agent login`"


class RefreshTokenRevoked(AuthError):
    code = "refresh_token_invalidated"
    default_message = (
        "Your access token could not be refreshed because your refresh token was revoked. "
        "Please log out and sign in again."
    )
    default_diagnosis = (
        "the login was revoked at the server: signed out elsewhere, a password change, or reuse "
        "of a rotated token detected by the server (another client replayed an old refresh token)"
    )
    default_remedy = "run `codex-agent login`"


class RefreshRejected(AuthError):
    """A permanent refusal without one of the known codes (`invalid_grant`, an unknown 401)."""

    code = "refresh_token_rejected"
    default_message = "The sign-in server refused to refresh the access token."
    default_diagnosis = "the refresh token is no longer accepted (no precise reason was given)"
    default_remedy = "run `codex-agent login`"


class RefreshInterrupted(AuthError):
    """An earlier process sent the refresh token and died before saving the answer."""

    code = "refresh_interrupted"
    answer_lost = True
    default_message = (
        "An earlier refresh of the access token was interrupted after the refresh token was "
        "sent; its answer is lost."
    )
    default_diagnosis = (
        "a codex-agent process sent the refresh token to the sign-in server and stopped (killed, "
        "crashed or powered off) before it saved the answer; the server has probably rotated the "
        "token already, so presenting it again would be a replay that can revoke the login"
    )
    default_remedy = (
        "run `codex-agent login`; or, if the sign-in server tolerates a retry, "
        "`codex-agent refresh --retry-interrupted` presents the old token once"
    )


class BackendAuthError(AuthError):
    """The Codex backend answered 401 for an access token (raised by the turn engine)."""


class TokenInvalidated(BackendAuthError):
    code = "token_invalidated"
    default_message = "Your authentication token has been invalidated."
    default_diagnosis = (
        "the whole login was revoked at the server, usually because another client sharing it "
        "replayed a refresh token that had already been rotated"
    )
    default_remedy = "run `codex-agent login`"


class TokenExpired(BackendAuthError):
    code = "token_expired"
    default_message = "Your access token has expired."
    default_diagnosis = "the access token's lifetime ended before it was refreshed"
    default_remedy = "run `codex-agent refresh`; if that fails, `codex-agent login`"
    retryable = True


class TokenRevoked(BackendAuthError):
    code = "token_revoked"
    default_message = "Your access token was revoked."
    default_diagnosis = (
        "the access token was revoked at the server (a logout, or a rotation by another client "
        "that revokes the previous access token)"
    )
    default_remedy = "run `codex-agent refresh`; if that fails, `codex-agent login`"
    retryable = True


_BACKEND_ERRORS: dict[str, type[BackendAuthError]] = {
    TokenInvalidated.code: TokenInvalidated,
    TokenExpired.code: TokenExpired,
    TokenRevoked.code: TokenRevoked,
}


def backend_auth_error(code: str | None, message: str | None = None) -> BackendAuthError:
    """The typed error for a 401 of the Codex backend (unknown codes read as invalidated)."""
    cls = _BACKEND_ERRORS.get((code or "").lower(), TokenInvalidated)
    error = cls(message or None)
    if cls is TokenInvalidated and (code or "").lower() not in _BACKEND_ERRORS:
        error.diagnosis = (
            f"the Codex backend refused the access token (code {code or 'none'}); "
            + TokenInvalidated.default_diagnosis
        )
    return error


class AccountMismatch(AuthError):
    code = "account_mismatch"
    default_message = "The tokens found belong to a different ChatGPT account."
    default_diagnosis = (
        "a login for another account (or workspace) was found where the agent expected its own; "
        "the agent never adopts another account's tokens"
    )
    default_remedy = "run `codex-agent logout` then `codex-agent login` with the account you want"


class TransientAuthError(AuthError):
    """The sign-in server could not be reached or answered nonsense; trying later may work."""

    code = "transient"
    default_message = "The sign-in server could not be reached."
    default_remedy = "try again in a moment; check the network, proxy and CODEX_AGENT_ISSUER"
    retryable = True

    def __init__(
        self,
        message: str | None = None,
        *,
        diagnosis: str | None = None,
        remedy: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
        answer_lost: bool = False,
    ) -> None:
        super().__init__(message, diagnosis=diagnosis, remedy=remedy)
        self.status = status
        self.retry_after = retry_after
        # The request reached the server but its answer did not come back: the server may have
        # acted on it (rotated a refresh token) already.
        self.answer_lost = answer_lost

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["status"] = self.status
        data["retry_after"] = self.retry_after
        return data


class NetworkError(TransientAuthError):
    code = "network_error"
    default_message = "The sign-in server could not be reached."


class NetworkTimeout(TransientAuthError):
    code = "timeout"
    default_message = "The sign-in server did not answer in time."


class ServerError(TransientAuthError):
    code = "server_error"
    default_message = "The sign-in server failed (HTTP 5xx)."


class RateLimited(TransientAuthError):
    code = "rate_limited"
    default_message = "The sign-in server is rate limiting requests (HTTP 429)."
    default_remedy = "wait and try again"


class BadServerResponse(TransientAuthError):
    code = "bad_response"
    default_message = "The sign-in server answered with something that is not a valid reply."
    default_remedy = (
        "try again in a moment; if it persists, check for a proxy or captive portal in front of "
        "the sign-in server and the CODEX_AGENT_ISSUER setting"
    )


# --- the store -------------------------------------------------------------------------------


class StoreError(AgentError):
    code = "store_error"


class CorruptStore(StoreError):
    code = "store_corrupt"
    default_remedy = LOGIN_REMEDY

    def __init__(self, path: Path, problem: str, moved_to: Path | None) -> None:
        self.path = path
        self.problem = problem
        self.moved_to = moved_to
        where = f"; it was moved aside to {moved_to}" if moved_to else ""
        super().__init__(
            f"The agent's store {path} is corrupt ({problem}){where}.",
            diagnosis="the file is not a valid codex-agent store (an interrupted edit by hand, "
            "a disk error, or another program wrote it)",
        )


class StoreFromNewerVersion(StoreError):
    code = "store_version_unsupported"

    def __init__(self, path: Path, version: object, supported: int) -> None:
        self.path = path
        self.version = version
        super().__init__(
            f"The agent's store {path} has version {version!r}; this codex-agent understands "
            f"version {supported} at most.",
            diagnosis="a newer codex-agent wrote this store; it is left untouched",
            remedy="upgrade codex-agent, or point CODEX_AGENT_HOME at another folder",
        )


class StoreUnusable(StoreError):
    """The store's path, or its lock, is not a file the agent can use (left as it is)."""

    code = "store_unusable"

    def __init__(self, path: Path, problem: str, remedy: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(
            f"The agent's file {path} cannot be used: {problem}.",
            diagnosis="the path is not a regular file the agent can read and replace; nothing "
            "was changed",
            remedy=remedy,
        )


class StoreWriteFailed(StoreError):
    code = "store_write_failed"
    default_remedy = "check the free space and permissions of the agent's home folder"


class LockTimeout(StoreError):
    code = "lock_timeout"
    retryable = True

    def __init__(self, lock_path: Path, timeout: float) -> None:
        self.lock_path = lock_path
        super().__init__(
            f"Timed out after {timeout:g} s waiting for the store lock {lock_path}.",
            diagnosis="another codex-agent process holds the lock (a refresh in progress, or a "
            "process that hangs)",
            remedy="try again; if it persists, stop other codex-agent processes",
        )


# --- login -----------------------------------------------------------------------------------


class LoginError(AuthError):
    code = "login_failed"
    default_remedy = "run `codex-agent login` again"


class LoginTimedOut(LoginError):
    code = "login_timeout"
    default_message = "The sign-in was not completed in time."
    default_diagnosis = "nobody approved the sign-in before the code expired"


class LoginStateMismatch(LoginError):
    code = "login_state_mismatch"
    default_message = "The sign-in callback did not carry the state this login sent."
    default_diagnosis = "a stale browser tab or a forged request reached the callback"


class LoginDenied(LoginError):
    code = "login_denied"
    default_message = "The sign-in was refused."


class LoginCancelled(LoginError):
    code = "login_cancelled"
    default_message = "The sign-in was cancelled."


class DeviceCodeUnavailable(LoginError):
    code = "device_code_unavailable"
    default_message = "Device code login is not enabled for this sign-in server."
    default_remedy = "run `codex-agent login --browser`, or check CODEX_AGENT_ISSUER"


class CallbackPortInUse(LoginError):
    code = "callback_port_in_use"
    default_remedy = "close the other login in progress, or use `codex-agent login --device`"


class CodexCliLoginUnusable(AuthError):
    code = "codex_cli_login_unusable"
    default_remedy = "run `codex login` (ChatGPT sign-in), then `codex-agent import-codex`"
