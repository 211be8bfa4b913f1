"""`python -m scenarios.real_clients install`: the same command without the harness's extras."""

from __future__ import annotations

import sys

from scenarios.real_clients.command import main

sys.exit(main())
