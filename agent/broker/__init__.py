"""The refresh broker: one refresher per machine for every client of a ChatGPT login.

`codex-agent broker run` serves `POST /oauth/token` (refresh grant) and `POST /oauth/revoke` on
loopback; clients point their token URL at it (`codex-agent broker env`). For each refresh-token
family it serves, the broker holds the current pair in a store of its own and decides:

- the current refresh token: one upstream refresh (single flight), its answer for every caller;
- a token of the family that the broker rotated away, within the adoption window: the current
  pair, no upstream call (a would-be reuse becomes an adoption);
- an unknown token: forwarded upstream once; on success the broker owns that family.

The refresh itself is the credential manager's (`agent.auth.manager`): each family is a
`CredentialManager` over its own store, so the rules that decide a refresh stay in one place.
Modules: `lineage` (the tokens a family held, durable), `window` (which stale tokens are
honoured), `family` and `book` (the decisions), `upstream` (relaying the issuer's answers),
`server` and `run` (the HTTP side), `audit`, `status`, `client_env`, `discovery`.
"""
