"""The model of systemd's parsing on the worked examples of systemd.syntax(7) and
systemd.service(5)."""

from __future__ import annotations

import pytest

from service_shims import unit_model


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ('"a b" c', ["a b", "c"]),
        ('x"y z"w', ["xy zw"]),
        ("'a \\'b' c", ["a 'b", "c"]),
        ('"\\x41\\101\\u00e9\\s"', ["AAé "]),
    ],
)
def test_words(value, words):
    assert [w.text for w in unit_model.split_words(value)] == words


def test_specifiers_and_dollars():
    assert unit_model.resolve_specifiers("100%%") == "100%"
    with pytest.raises(unit_model.UnitSyntaxError):
        unit_model.resolve_specifiers("%h")
    assert unit_model.expand_dollars("$$HOME") == "$HOME"
    with pytest.raises(unit_model.UnitSyntaxError):
        unit_model.expand_dollars("$HOME")


def test_exec_start_prefixes_and_argv0():
    command = unit_model.exec_command('@/usr/bin/py "my py" -c "print(1)"')
    assert (command.path, command.argv) == ("/usr/bin/py", ["my py", "-c", "print(1)"])
    with pytest.raises(unit_model.UnitSyntaxError, match="special characters"):
        unit_model.exec_command('"/a\\"b/py"')
    with pytest.raises(unit_model.UnitSyntaxError, match="semicolon"):
        unit_model.exec_command("/bin/a x ; /bin/b")


def test_continuation_lines_and_comments():
    unit = unit_model.parse("[Service]\n# a comment \\\nExecStart=/bin/a \\\n  b\n")
    assert unit.value("Service", "ExecStart") == "/bin/a    b"
