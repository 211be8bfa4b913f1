"""`python -m service_shims install DIR ...` and `python -m service_shims replay FILE`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from service_shims import recording
from service_shims.install import TOOLS, install


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m service_shims",
        description="Recording systemctl and launchctl stand-ins for testing services on Linux.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_install = sub.add_parser("install", help="write executable DIR/systemctl, DIR/launchctl")
    p_install.add_argument("directory", type=Path)
    p_install.add_argument("--recording", type=Path, required=True, help="JSON-lines file")
    p_install.add_argument("--state", type=Path, required=True, help="units and agents (JSON)")
    p_install.add_argument("--script", type=Path, help="scripted answers (JSON)")
    p_install.add_argument(
        "--launch", action="store_true", help="start what a unit or plist says, for real"
    )
    p_install.add_argument("--uid", type=int, default=501, help="launchctl's gui/<uid>")
    p_install.add_argument("--tool", action="append", choices=TOOLS, help="default: both")
    p_replay = sub.add_parser("replay", help="print a recording as a readable table")
    p_replay.add_argument("file", type=Path)
    p_replay.add_argument("--width", type=int, default=60, help="widest column (default 60)")
    args = parser.parse_args(argv)
    if args.command == "install":
        for path in install(
            args.directory,
            recording=args.recording,
            state=args.state,
            script=args.script,
            launch=args.launch,
            uid=args.uid,
            tools=tuple(args.tool or TOOLS),
        ):
            print(path)
        return 0
    try:
        entries = recording.read(args.file)
    except (OSError, ValueError) as exc:
        print(f"service_shims replay: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(recording.table(entries, width=args.width))
    return 0


if __name__ == "__main__":
    sys.exit(main())
