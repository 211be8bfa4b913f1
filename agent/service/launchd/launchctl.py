"""The `launchctl` calls the service makes (the domain-target verbs of macOS 10.11 and later),
each classified when it returns.

launchctl names an error by its number and text: `Bootstrap failed: 5: Input/output error`
(already loaded, or a plist it cannot use), `125: Domain does not support specified action`
(no GUI session: logged in over ssh only), `113: Could not find specified service` and
`Could not find service "…" in domain for …` (not loaded).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.host import Host, RunLimits
from agent.service.replies import Reply, classify

NOT_FOUND = ("could not find service", "could not find specified service", "no such process")
UNREACHABLE = ("domain does not support specified action", "could not find domain")


@dataclass
class Launchctl:
    host: Host
    domain: str  # gui/<uid>
    limits: RunLimits = field(default_factory=RunLimits)
    program: str = "launchctl"
    calls: list[Reply] = field(default_factory=list)

    def _call(self, *args: str) -> Reply:
        result = self.host.run((self.program, *args), limits=self.limits)
        reply = Reply(classify(result, not_found=NOT_FOUND, unreachable=UNREACHABLE), result)
        self.calls.append(reply)
        return reply

    def target(self, label: str) -> str:
        return f"{self.domain}/{label}"

    def print_service(self, label: str) -> Reply:
        return self._call("print", self.target(label))

    def enable(self, label: str) -> Reply:
        return self._call("enable", self.target(label))

    def bootstrap(self, plist_path: str) -> Reply:
        return self._call("bootstrap", self.domain, plist_path)

    def bootout(self, label: str) -> Reply:
        return self._call("bootout", self.target(label))

    def kickstart(self, label: str, *, kill: bool) -> Reply:
        return self._call("kickstart", *(["-k"] if kill else []), self.target(label))


def parse_print(output: str) -> dict[str, str]:
    """The top-level `key = value` lines of `launchctl print` (nested blocks skipped)."""
    values: dict[str, str] = {}
    depth = 0
    for line in output.splitlines():
        text = line.strip()
        if text.endswith("{"):
            depth += 1
            continue
        if text == "}":
            depth -= 1
            continue
        if depth == 1:
            key, sep, value = text.partition(" = ")
            if sep:
                values.setdefault(key.strip(), value.strip())
    return values
