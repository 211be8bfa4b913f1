"""The bearer token of a local server, on disk: created on first need, 0600 in a 0700 folder.

The file holds the token and nothing else, so a client on this machine can read it and a
person can copy it. A file that others can read, or that does not hold a token, is refused
with an error naming it: the remedy is to delete it (a new token is made at the next start).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import sys
from pathlib import Path

from agent.auth.atomic import PRIVATE_FILE_MODE, ensure_private_dir, fsync_dir
from agent.errors import AgentError

_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,256}")


class TokenFileError(AgentError):
    code = "token_file_invalid"


def load_or_create_token(path: Path) -> tuple[str, bool]:
    """The token in `path`, made now if there is none; the flag says whether it was made now."""
    ensure_private_dir(path.parent)
    existing = read_token(path)
    if existing is not None:
        return existing, False
    token = secrets.token_urlsafe(32)
    temp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
        try:
            os.write(fd, (token + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temp, path)  # never replaces a token another process made meanwhile
        except FileExistsError:
            raced = read_token(path)
            if raced is not None:
                return raced, False
            raise
        fsync_dir(path.parent)
    except OSError as exc:
        raise TokenFileError(
            f"Cannot write {path}: {exc.strerror or exc}.",
            diagnosis="the bearer token could not be saved in the agent's home",
        ) from None
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()
    return token, True


def read_token(path: Path) -> str | None:
    """The token in `path`, None if there is no file; `TokenFileError` if it cannot be used."""
    remedy = f"delete {path}; a new token is made when the server next starts"
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise TokenFileError(f"Cannot read {path}: {exc.strerror or exc}.", remedy=remedy) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise TokenFileError(f"{path} is not a regular file.", remedy=remedy)
        if sys.platform != "win32" and stat.S_IMODE(info.st_mode) & 0o077:
            raise TokenFileError(
                f"{path} can be read by other users, so its token may be known.", remedy=remedy
            )
        raw = os.read(fd, 1024)
    except OSError as exc:
        raise TokenFileError(f"Cannot read {path}: {exc.strerror or exc}.", remedy=remedy) from None
    finally:
        os.close(fd)
    token = raw.decode("ascii", "replace").strip()
    if not _TOKEN.fullmatch(token):
        raise TokenFileError(f"{path} does not hold a bearer token.", remedy=remedy)
    return token
