"""The guard of the agent's local HTTP servers (the gateway, and the refresh broker to come).

Both are `http.server` servers on this machine that hold the user's ChatGPT login, so both
refuse the same things in the same way, here: a foreign `Host` (DNS rebinding), a browser
`Origin` nobody allowed, a missing bearer token off loopback, a body that is not JSON or too
big or too slow, malformed requests; every refusal is a JSON answer and is counted.

- `access`: who may ask (Host, Origin, bearer token).
- `token_file`: the bearer token on disk (0600, created on first need).
- `deadline`: one deadline over the whole read of a request.
- `json_body`: a request body as a JSON object, or a 400.
- `refusal`: the refusal type and its counters.
- `server`: `GuardedServer` and `GuardedHandler`, which tie them together.
"""
