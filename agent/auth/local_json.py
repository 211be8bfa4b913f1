"""Reading a small JSON file that a person or another program may have broken.

Both stores the agent reads (its own `auth.json` and the Codex CLI's) go through here, so that a
hostile file (a FIFO, a symlink loop, a directory, gigabytes, bytes that are not UTF-8, brackets
nested a million deep, a 10,000-digit number) is a clear problem to report, never a hang, a
traceback or unbounded memory.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

MAX_DEPTH = 32


class UnusablePath(Exception):
    """The path is not a regular file that can be read; `remedy` says how to fix it."""

    def __init__(self, problem: str, remedy: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.remedy = remedy


class BadContent(ValueError):
    """The file was read, but what it holds is not a usable JSON document (no secret inside)."""


def read_small_file(path: Path, max_bytes: int) -> bytes | None:
    """The file's bytes, or None when it does not exist; never blocks on a FIFO."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _unusable(path, exc) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise UnusablePath(
                "it is a directory, not a file",
                f"move the directory away (`mv {path} {path}.dir`); nothing in it is used",
            )
        if not stat.S_ISREG(st.st_mode):
            raise UnusablePath(
                "it is not a regular file (a FIFO, socket or device)",
                f"remove it (`rm {path}`)",
            )
        if st.st_size > max_bytes:
            raise BadContent(f"it is larger than {max_bytes} bytes")
        chunks: list[bytes] = []
        total = 0
        while total <= max_bytes:
            chunk = os.read(fd, max_bytes + 1 - total)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > max_bytes:
            raise BadContent(f"it is larger than {max_bytes} bytes")
        return b"".join(chunks)
    except OSError as exc:
        raise _unusable(path, exc) from None
    finally:
        os.close(fd)


def decode_json(raw: bytes) -> object:
    """Decode UTF-8 JSON, refusing what the standard parser would crash on or nest too deep."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadContent("it is not UTF-8 text") from None
    try:
        doc = json.loads(text)
    except RecursionError:
        raise BadContent("it is JSON nested too deeply") from None
    except ValueError:  # JSONDecodeError, and integers longer than Python converts
        raise BadContent("it is not valid JSON") from None
    if _depth_exceeds(doc, MAX_DEPTH):
        raise BadContent(f"it is JSON nested more than {MAX_DEPTH} levels deep")
    return doc


def _depth_exceeds(doc: object, limit: int) -> bool:
    stack: list[tuple[object, int]] = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: list[object] = list(value.values())
        elif isinstance(value, list):
            children = list(value)
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _unusable(path: Path, exc: OSError) -> UnusablePath:
    if exc.errno == errno.ELOOP:
        return UnusablePath(
            "it is a symbolic link that loops (or a chain of links too long to follow)",
            f"remove the link (`rm {path}`) or point it at a real file",
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return UnusablePath(
            "permission denied",
            f"make it yours and private: `chown $USER {path} && chmod 600 {path}`",
        )
    if exc.errno == errno.ENOTDIR:
        return UnusablePath(
            "a part of its folder path is a file, not a folder",
            f"check the folders above {path}",
        )
    return UnusablePath(
        f"it cannot be read ({exc.strerror or type(exc).__name__})",
        f"check {path} and the disk it is on",
    )
