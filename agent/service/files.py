"""Writing and removing the files a service installs, through the host's view of its disk."""

from __future__ import annotations

from agent.host import Host


def write_atomically(host: Host, host_path: str, data: bytes) -> None:
    path = host.local_path(host_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def remove(host: Host, host_path: str) -> bool:
    try:
        host.local_path(host_path).unlink()
    except FileNotFoundError:
        return False
    return True


def exists(host: Host, host_path: str) -> bool:
    return host.local_path(host_path).exists()


def ensure_folder(host: Host, host_path: str) -> None:
    """The home the service runs in: systemd and launchd refuse to start in a missing folder
    (systemd: status 200/CHDIR). New folders are 0700: the home holds the login."""
    host.local_path(host_path).mkdir(mode=0o700, parents=True, exist_ok=True)
