"""How systemd reads a unit file, modelled from systemd.syntax(7), systemd.unit(5),
systemd.service(5) and systemd.exec(5), independently of the code that writes units.

- Lines: `#`/`;` comments; a line ending in an odd run of backslashes joins the next (the
  backslash becomes a blank); `Key=value` with blanks stripped around both.
- Words (`Environment=`, `ExecStart=`): separated by blanks; `"…"` and `'…'` group (a quote
  may start inside a word); a backslash escapes the next character with C rules
  (`\\\\ \\" \\' \\a \\b \\f \\n \\r \\t \\v \\s \\xHH \\NNN \\uHHHH \\UHHHHHHHH`); another
  escape is an error here (systemd warns and keeps it).
- Specifiers: after unquoting, `%%` is `%`; any other `%x` is a specifier (an error here: the
  writer never means one).
- `ExecStart=`: prefixes `-@:+!` on the first word; the path must be absolute and hold no
  quotes, backslashes or control characters; with `@` the second word is argv[0]. An unquoted
  lone `;` separates commands (an error here). At start-up `$$` is `$` in the arguments and
  `$NAME`/`${NAME}` are variables (an error here).
"""

from __future__ import annotations

from dataclasses import dataclass, field

BLANKS = " \t\n\r"
_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    '"': '"',
    "'": "'",
    "s": " ",
}


class UnitSyntaxError(ValueError):
    pass


@dataclass
class Unit:
    sections: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def values(self, section: str, key: str) -> list[str]:
        return [v for k, v in self.sections.get(section, []) if k == key]

    def value(self, section: str, key: str) -> str | None:
        found = self.values(section, key)
        return found[-1] if found else None


def parse(text: str) -> Unit:
    unit = Unit()
    section: str | None = None
    pending = ""
    for raw in text.split("\n"):
        line = pending + raw if pending else raw
        stripped = line.strip(BLANKS)
        if not pending and stripped[:1] in ("#", ";"):
            continue
        trailing = len(line) - len(line.rstrip("\\"))
        if trailing % 2:
            pending = line[:-1] + " "
            continue
        pending = ""
        if not stripped:
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1]
            unit.sections.setdefault(section, [])
            continue
        if section is None:
            raise UnitSyntaxError(f"assignment outside a section: {stripped!r}")
        key, sep, value = stripped.partition("=")
        if not sep:
            raise UnitSyntaxError(f"not an assignment: {stripped!r}")
        unit.sections[section].append((key.strip(BLANKS), value.strip(BLANKS)))
    return unit


def _escape(text: str, index: int) -> tuple[str, int]:
    """The character(s) of the escape at text[index] (just after the backslash); next index."""
    if index >= len(text):
        raise UnitSyntaxError("a backslash at the end of the value")
    char = text[index]
    if char in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[char], index + 1
    widths = {"x": 2, "u": 4, "U": 8}
    if char in widths:
        digits = text[index + 1 : index + 1 + widths[char]]
        if len(digits) != widths[char] or any(d not in "0123456789abcdefABCDEF" for d in digits):
            raise UnitSyntaxError(f"bad \\{char} escape")
        code = int(digits, 16)
        if code == 0:
            raise UnitSyntaxError("an escaped NUL")
        return chr(code), index + 1 + widths[char]
    if char in "01234567":
        digits = text[index : index + 3]
        if len(digits) != 3 or any(d not in "01234567" for d in digits):
            raise UnitSyntaxError("bad octal escape")
        return chr(int(digits, 8)), index + 3
    raise UnitSyntaxError(f"unknown escape \\{char}")


@dataclass(frozen=True)
class Word:
    text: str
    raw: str  # as written, for the lone-semicolon rule


def split_words(value: str) -> list[Word]:
    words: list[Word] = []
    index = 0
    while True:
        while index < len(value) and value[index] in BLANKS:
            index += 1
        if index >= len(value):
            return words
        start = index
        out: list[str] = []
        quote = ""
        while index < len(value):
            char = value[index]
            if char == "\\":
                decoded, index = _escape(value, index + 1)
                out.append(decoded)
                continue
            if quote:
                if char == quote:
                    quote = ""
                else:
                    out.append(char)
            elif char in "\"'":
                quote = char
            elif char in BLANKS:
                break
            else:
                out.append(char)
            index += 1
        if quote:
            raise UnitSyntaxError(f"unbalanced quotes in {value!r}")
        words.append(Word("".join(out), value[start:index]))


def resolve_specifiers(text: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "%":
            following = text[index + 1 : index + 2]
            if following != "%":
                raise UnitSyntaxError(f"specifier %{following} in {text!r}")
            out.append("%")
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


def expand_dollars(text: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(text):
        if text[index] == "$":
            if text[index + 1 : index + 2] != "$":
                raise UnitSyntaxError(f"a variable reference in {text!r}")
            out.append("$")
            index += 2
            continue
        out.append(text[index])
        index += 1
    return "".join(out)


def environment(value: str) -> list[tuple[str, str]]:
    pairs = []
    for word in split_words(value):
        resolved = resolve_specifiers(word.text)
        name, sep, content = resolved.partition("=")
        if not sep or not name:
            raise UnitSyntaxError(f"not an assignment: {resolved!r}")
        pairs.append((name, content))
    return pairs


@dataclass(frozen=True)
class Command:
    path: str
    argv: list[str]
    prefixes: str


def exec_command(value: str) -> Command:
    words = split_words(value)
    if not words:
        raise UnitSyntaxError("an empty command")
    first = words[0].text
    prefixes = ""
    while first[:1] in ("-", "@", ":", "+", "!") and first[:1] not in prefixes:
        prefixes += first[0]
        first = first[1:]
    path = resolve_specifiers(first)
    if any(c in "\"'\\" or ord(c) < 0x20 or ord(c) == 0x7F for c in path):
        raise UnitSyntaxError(f"executable path contains special characters: {path!r}")
    if not path.startswith("/") or path.endswith("/"):
        raise UnitSyntaxError(f"executable path is not absolute: {path!r}")
    rest = words[1:]
    argv: list[str] = []
    if "@" not in prefixes:
        argv.append(path)
    for word in rest:
        if word.raw == ";":
            raise UnitSyntaxError("a lone semicolon separates commands")
        argv.append(expand_dollars(resolve_specifiers(word.text)))
    if not argv:
        raise UnitSyntaxError("no argv[0]")
    return Command(path, argv, prefixes)


@dataclass(frozen=True)
class ServiceDefinition:
    """What the service would start: what `systemctl start` runs, per the model."""

    command: Command
    working_directory: str
    environment: dict[str, str]
    restart: str
    wanted_by: list[str]


def service_definition(text: str) -> ServiceDefinition:
    unit = parse(text)
    starts = unit.values("Service", "ExecStart")
    if len(starts) != 1:
        raise UnitSyntaxError(f"{len(starts)} ExecStart= lines (a simple service has one)")
    env: dict[str, str] = {}
    for line in unit.values("Service", "Environment"):
        env.update(environment(line))
    working = resolve_specifiers(unit.value("Service", "WorkingDirectory") or "")
    wanted = [w.text for line in unit.values("Install", "WantedBy") for w in split_words(line)]
    return ServiceDefinition(
        command=exec_command(starts[0]),
        working_directory=working,
        environment=env,
        restart=unit.value("Service", "Restart") or "no",
        wanted_by=wanted,
    )
