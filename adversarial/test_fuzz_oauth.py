"""Every endpoint of the fake OAuth server under hypothesis: any JSON, form or bytes, any content
type, any headers. Each answer is a 2xx or a 4xx JSON error (pages a person sees may be HTML);
never a 5xx, a dropped connection or a traceback on the server's stderr.

The server is this module's own process: the admin cases change its settings and clock."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from advkit import strategies as hs
from advkit.fuzz import fuzz
from advkit.probe import BROWSER_PAGE, Target, assert_responsive, assert_stderr_clean
from advkit.verdict import Outcome
from advkit.world import OAuthProcess, start_oauth
from hypothesis import given
from hypothesis import strategies as st

from fake_oauth_server.admin_client import AdminError
from fake_oauth_server.constants import CODEX_CLIENT_ID, ID_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT

DISCOVERY = "/.well-known/openid-configuration"


@pytest.fixture(scope="module")
def own_oauth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OAuthProcess]:
    server = start_oauth(tmp_path_factory.mktemp("oauth-fuzz"))
    try:
        yield server
    finally:
        server.admin.close()
        server.server.stop()


@pytest.fixture(scope="module")
def target(own_oauth: OAuthProcess) -> Iterator[Target]:
    t = Target("oauth", own_oauth.server, own_oauth.issuer, own_oauth.tls())
    yield t
    t.close()


@pytest.fixture(scope="module")
def live(own_oauth: OAuthProcess) -> dict[str, list[str]]:
    """Real values the fuzzer mixes in, so cases reach past the first checks."""
    pool: dict[str, list[str]] = {"refresh": [], "access": [], "id": [], "device": [], "user": []}
    for _ in range(4):
        tokens = own_oauth.login()
        pool["refresh"].append(tokens.refresh_token)
        pool["access"].append(tokens.access_token)
        pool["id"].append(tokens.id_token)
    return pool


def _values(live: dict[str, list[str]], *kinds: str) -> st.SearchStrategy[str]:
    return st.sampled_from([v for k in kinds for v in live[k]]) | st.text(max_size=60)


def _encoded(params: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[tuple[bytes, str]]:
    """A parameter set as JSON or as a form, with a content type that may lie about it."""
    import json
    import urllib.parse

    def as_json(p: dict[str, Any]) -> bytes:
        return json.dumps(p).encode()

    def as_form(p: dict[str, Any]) -> bytes:
        return urllib.parse.urlencode({k: str(v) for k, v in p.items()}).encode()

    return st.one_of(
        st.tuples(params.map(as_json), st.just("application/json")),
        st.tuples(params.map(as_form), st.just("application/x-www-form-urlencoded")),
        st.tuples(params.map(as_json), hs.CONTENT_TYPES),
        st.tuples(hs.bodies(["grant_type", "token", "client_id"]), hs.CONTENT_TYPES),
    )


def token_params(live: dict[str, list[str]]) -> st.SearchStrategy[dict[str, Any]]:
    grant = st.sampled_from(
        ["authorization_code", "refresh_token", TOKEN_EXCHANGE_GRANT, "device_code",
         "client_credentials", "password", ""]
    ) | st.text(max_size=20)  # fmt: skip
    optional = {
        "client_id": st.sampled_from([CODEX_CLIENT_ID, "app_other"]) | st.text(max_size=20),
        "refresh_token": _values(live, "refresh", "access"),
        "code": st.text(max_size=40),
        "code_verifier": st.text(max_size=130),
        "redirect_uri": st.sampled_from(
            ["http://localhost:1455/auth/callback", "https://evil.example/cb"]
        )
        | st.text(max_size=40),
        "scope": st.text(max_size=40),
        "requested_token": st.sampled_from(["openai-api-key"]) | st.text(max_size=20),
        "subject_token": _values(live, "id", "access"),
        "subject_token_type": st.sampled_from([ID_TOKEN_TYPE]) | st.text(max_size=20),
    }
    values = st.one_of(hs.JSON_VALUES, st.text(max_size=40))
    return st.fixed_dictionaries(
        {"grant_type": grant},
        optional={k: v | values for k, v in optional.items()},
    )


# --- the OAuth endpoints ------------------------------------------------------------------------


@fuzz(200)
@given(data=st.data())
def test_token_endpoint(target: Target, live: dict[str, list[str]], data: st.DataObject) -> None:
    body, ctype = data.draw(_encoded(token_params(live)))
    headers = {**data.draw(hs.headers()), "Content-Type": ctype}
    target.send("POST", "/oauth/token", category="oauth token", content=body, headers=headers)


@fuzz(80)
@given(data=st.data())
def test_revoke_endpoint(target: Target, live: dict[str, list[str]], data: st.DataObject) -> None:
    params = st.fixed_dictionaries(
        {},
        optional={
            "token": _values(live, "refresh", "access", "id") | hs.JSON_VALUES,
            "token_type_hint": st.sampled_from(["refresh_token", "access_token"]) | hs.SCALARS,
            "client_id": st.sampled_from([CODEX_CLIENT_ID]) | hs.JSON_VALUES,
        },
    )
    body, ctype = data.draw(_encoded(params))
    headers = {**data.draw(hs.headers()), "Content-Type": ctype}
    target.send("POST", "/oauth/revoke", category="oauth revoke", content=body, headers=headers)


@fuzz(80)
@given(data=st.data())
def test_introspect_endpoint(
    own_oauth: OAuthProcess, target: Target, live: dict[str, list[str]], data: st.DataObject
) -> None:
    params = st.fixed_dictionaries(
        {}, optional={"token": _values(live, "refresh", "access") | hs.JSON_VALUES}
    )
    body, ctype = data.draw(_encoded(params))
    headers = {**data.draw(hs.headers()), "Content-Type": ctype}
    if data.draw(st.booleans()):
        headers["Authorization"] = f"Bearer {own_oauth.admin_token}"
    target.send(
        "POST", "/oauth/introspect", category="oauth introspect", content=body, headers=headers
    )


AUTHORIZE_KEYS = [
    "response_type", "client_id", "redirect_uri", "scope", "code_challenge",
    "code_challenge_method", "state", "originator", "prompt", "id_token_add_organizations",
    "codex_cli_simplified_flow",
]  # fmt: skip


@fuzz(80)
@given(query=hs.query_params(AUTHORIZE_KEYS), headers=hs.headers())
def test_authorize_page(
    target: Target, query: list[tuple[str, str]], headers: dict[str, str]
) -> None:
    target.send(
        "GET", "/oauth/authorize", category="oauth authorize", params=query, headers=headers,
        allowed=BROWSER_PAGE,
    )  # fmt: skip


@fuzz(50)
@given(
    body=hs.form_bodies(["request_id", "account_id", "decision"]) | hs.bodies(["request_id"]),
    ctype=hs.CONTENT_TYPES,
)
def test_consent_form(target: Target, body: bytes, ctype: str) -> None:
    target.send(
        "POST", "/oauth/consent", category="oauth consent", content=body,
        headers={"Content-Type": ctype}, allowed=BROWSER_PAGE,
    )  # fmt: skip


@fuzz(50)
@given(body=hs.bodies(["client_id"]), ctype=hs.CONTENT_TYPES, headers=hs.headers())
def test_device_usercode(target: Target, body: bytes, ctype: str, headers: dict[str, str]) -> None:
    target.send(
        "POST", "/api/accounts/deviceauth/usercode", category="oauth device",
        content=body, headers={**headers, "Content-Type": ctype},
    )  # fmt: skip


@fuzz(80)
@given(data=st.data())
def test_device_token_poll(target: Target, data: st.DataObject) -> None:
    started = target.send(
        "POST", "/api/accounts/deviceauth/usercode", category="oauth device",
        content=b'{"client_id": "' + CODEX_CLIENT_ID.encode() + b'"}',
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert started is not None
    real = started.json()
    user_code = real.get("user_code") or real.get("usercode") or ""
    params = st.fixed_dictionaries(
        {},
        optional={
            "device_auth_id": st.just(real["device_auth_id"]) | hs.JSON_VALUES,
            "user_code": st.just(user_code) | hs.JSON_VALUES,
        },
    )
    body = data.draw(params.map(hs.json_text) | hs.bodies(["device_auth_id", "user_code"]))
    target.send(
        "POST", "/api/accounts/deviceauth/token", category="oauth device",
        content=body, headers={"Content-Type": data.draw(hs.CONTENT_TYPES)},
    )  # fmt: skip


@fuzz(40)
@given(
    method=st.sampled_from(["GET", "POST"]),
    body=hs.form_bodies(["user_code", "account_id"]),
    ctype=hs.CONTENT_TYPES,
    query=hs.query_params(["code", "state", "user_code"]),
    path=st.sampled_from(["/codex/device", "/deviceauth/callback"]),
)
def test_device_pages(
    target: Target, method: str, body: bytes, ctype: str, query: list[tuple[str, str]], path: str
) -> None:
    target.send(
        method, path, category="oauth device page", params=query,
        content=body if method == "POST" else None, headers={"Content-Type": ctype},
        allowed=BROWSER_PAGE | {Outcome.CLIENT_JSON},
    )  # fmt: skip


@fuzz(60)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOO"]),
    path=st.sampled_from(
        ["/oauth/token", "/oauth/revoke", DISCOVERY, "/.well-known/jwks.json", "/nope",
         "/admin/clock", "/%00", "/" + "a" * 2000, "/oauth/token/../../etc/passwd"]
    ) | st.text(alphabet="abcdefghij/._-%~", max_size=50).map(lambda p: "/" + p),
    body=st.binary(max_size=100),
)  # fmt: skip
def test_any_method_on_any_path(target: Target, method: str, path: str, body: bytes) -> None:
    target.send(method, path, category="oauth routing", content=body or None)


# --- the admin API ------------------------------------------------------------------------------

ADMIN_ROUTES: list[tuple[str, str, list[str]]] = [
    ("GET", "/admin/accounts", []),
    ("POST", "/admin/accounts", ["email", "plan", "account_id", "session_limit"]),
    ("POST", "/admin/families", ["account_id", "client_id"]),
    ("POST", "/admin/families/{id}/revoke", ["reason"]),
    ("GET", "/admin/ledger", []),
    ("GET", "/admin/events", []),
    ("GET", "/admin/audit/issued-tokens", []),
    ("GET", "/admin/clock", []),
    ("POST", "/admin/clock/advance", ["seconds"]),
    ("POST", "/admin/clock/set", ["epoch"]),
    ("POST", "/admin/clock/freeze", []),
    ("POST", "/admin/clock/resume", []),
    ("POST", "/admin/policy", ["policy", "params", "account_id", "family_id"]),
    ("GET", "/admin/settings", []),
    ("POST", "/admin/settings",
     ["access_ttl", "refresh_ttl", "reuse_status", "revoke_access_on_rotation",
      "non_atomic_rotation", "second_resolution_timestamps", "user_code_field",
      "device_interval", "pause_timeout"]),
    ("GET", "/admin/pauses", []),
    ("POST", "/admin/pauses", ["match", "count"]),  # never a real step: a pause would hold cases
    ("POST", "/admin/pauses/{id}/wait", ["timeout"]),
    ("POST", "/admin/pauses/{id}/release", []),
    ("GET", "/admin/faults", []),
    ("POST", "/admin/faults", ["match", "count", "params"]),  # never a real kind: no faults
    ("DELETE", "/admin/faults", []),
    ("POST", "/admin/device/approve", ["user_code", "account_id"]),
    ("POST", "/admin/consent", ["auto", "account_id"]),
]  # fmt: skip
SAFE_QUERY = st.lists(
    st.tuples(st.sampled_from(["since", "family_id", "account_id"]) | st.text(max_size=6),
              st.text(max_size=30) | st.integers().map(str) | st.just("1e400") | st.just("nan")),
    max_size=3,
)  # fmt: skip


@fuzz(120)
@given(
    route=st.sampled_from(ADMIN_ROUTES),
    auth=hs.AUTHORIZATION | st.just(""),
    body=hs.bodies(["seconds"]),
    path_id=st.text(alphabet="abcdef0123456789_-.%", max_size=20),
)
def test_admin_refuses_without_the_token(
    target: Target, route: tuple[str, str, list[str]], auth: str, body: bytes, path_id: str
) -> None:
    method, path, _ = route
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = auth
    response = target.send(
        method, path.replace("{id}", path_id or "x"), category="oauth admin no token",
        content=body if method != "GET" else None, headers=headers, allowed={Outcome.CLIENT_JSON},
    )  # fmt: skip
    assert response is not None
    assert response.status_code == 401, (path, response.status_code)


@fuzz(250)
@given(data=st.data(), route=st.sampled_from(ADMIN_ROUTES))
def test_admin_with_the_token(
    own_oauth: OAuthProcess, target: Target, data: st.DataObject, route: tuple[str, str, list[str]]
) -> None:
    method, path, keys = route
    path_id = data.draw(st.sampled_from(["fam_unknown", "p_1", "x" * 300, "%2e%2e"]))
    body = data.draw(hs.object_with(keys).map(hs.json_text) | hs.bodies(keys)) if keys else b""
    headers = {"Authorization": f"Bearer {own_oauth.admin_token}"}
    if method != "GET":
        headers["Content-Type"] = data.draw(
            st.just("application/json") | hs.CONTENT_TYPES, label="content type"
        )
    target.send(
        method, path.replace("{id}", path_id), category="oauth admin",
        content=body if method != "GET" else None, headers=headers,
        params=data.draw(SAFE_QUERY) if method == "GET" else None,
    )  # fmt: skip


OVERFLOWS = [
    ("/admin/settings", b'{"access_ttl": 1' + b"0" * 400 + b"}"),
    ("/admin/settings", b'{"access_ttl": 1e308}'),
    ("/admin/settings", b'{"refresh_ttl": 1' + b"0" * 400 + b"}"),
    ("/admin/settings", b'{"access_ttl": -1}'),
    ("/admin/settings", b'{"device_interval": 1' + b"0" * 30 + b"}"),
    ("/admin/settings", b'{"reuse_status": 99999}'),
    ("/admin/clock/advance", b'{"seconds": 1' + b"0" * 400 + b"}"),
    ("/admin/clock/advance", b'{"seconds": 1e308}'),
    ("/admin/clock/set", b'{"epoch": 1e308}'),
    ("/admin/clock/set", b'{"epoch": -1' + b"0" * 30 + b"}"),
]


@pytest.mark.parametrize(("path", "body"), OVERFLOWS, ids=lambda v: str(v)[:40])
def test_an_admin_overflow_is_refused_or_harmless(
    own_oauth: OAuthProcess, target: Target, path: str, body: bytes
) -> None:
    """Issue 12 item 10: a value out of range is refused with 400, or the next refresh still
    answers 2xx or 4xx JSON: never a rotation that then fails with a 500."""
    admin = {"Authorization": f"Bearer {own_oauth.admin_token}", "Content-Type": "application/json"}
    clock = own_oauth.admin.clock()
    settings = own_oauth.admin.settings()
    try:
        target.send("POST", path, category="oauth admin", content=body, headers=admin)
        tokens = own_oauth.login()
        refresh = hs.json_text(
            {"grant_type": "refresh_token", "client_id": CODEX_CLIENT_ID,
             "refresh_token": tokens.refresh_token}
        )  # fmt: skip
        target.send(
            "POST", "/oauth/token", category="oauth token", content=refresh,
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
    finally:
        # Best effort: a server that accepted the overflow may refuse to be put back.
        keys = ("access_ttl", "refresh_ttl", "device_interval", "reuse_status")
        with contextlib.suppress(AdminError, httpx.HTTPError):
            own_oauth.admin.set_clock(clock)
        with contextlib.suppress(AdminError, httpx.HTTPError):
            own_oauth.admin.update_settings(**{k: settings[k] for k in keys if k in settings})


def test_the_server_stayed_up_and_quiet(target: Target) -> None:
    assert_responsive(target, DISCOVERY)
    assert_stderr_clean(target.server)
