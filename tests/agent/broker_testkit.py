"""Helpers of the broker's tests (the fixtures are in broker/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from agent.broker.audit import AuditLog
from agent.broker.book import FamilyBook
from agent.broker.server import BrokerServer

CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"


@dataclass
class RunningBroker:
    server: BrokerServer
    book: FamilyBook
    url: str
    home: Path

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        with httpx.Client(base_url=self.url, timeout=30.0, trust_env=False) as http:
            return http.post(path, **kwargs)

    def refresh(self, refresh_token: str, **extra: Any) -> httpx.Response:
        body = {"client_id": CLIENT_ID, "grant_type": "refresh_token",
                "refresh_token": refresh_token, **extra}  # fmt: skip
        return self.post("/oauth/token", json=body)

    def audit(self) -> list[dict[str, Any]]:
        return AuditLog(self.home / "broker").tail(1000)
