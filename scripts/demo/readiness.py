"""What "the platform is usable" means, checked from outside over HTTP as a person would use it.

    dashboard  the big screen's JSON has the year's emissions and monthly figures
    login      a demo user logs in (OAuth2 password flow) and the API knows the latest batch (indexed)
    explorer   the explorer's page of the institution's latest anchored batch opens
    live       a batch anchored after the live processes started (meters → oracle → chain)
    credits    the API lists the issued credit token (/credits/tokens) with the demo's issued and retired
               tonnes, and its retirement (/credits/retirements); expected only when the demo issued credits
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from ledger.chain.clients import LedgerContracts

from scripts.demo.users import DemoLogin

CHECKS = ("dashboard", "login", "explorer", "live", "credits")


@dataclass
class Readiness:
    passed: dict[str, float] = field(default_factory=dict)  # check → seconds from start when it first passed
    last_problem: dict[str, str] = field(default_factory=dict)
    expected: tuple[str, ...] = CHECKS

    @classmethod
    def expecting(cls, credits: dict | None) -> "Readiness":
        """Every check, or all but `credits` when the demo issued none (said in the table)."""
        if credits:
            return cls()
        return cls(last_problem={"credits": "not expected: the demo issued no credits"},
                   expected=tuple(c for c in CHECKS if c != "credits"))

    @property
    def ready(self) -> bool:
        return all(c in self.passed for c in self.expected)

    def missing(self) -> list[str]:
        return [f"{c}: {self.last_problem.get(c, 'not checked yet')}" for c in self.expected if c not in self.passed]


def _get(url: str, token: str | None = None, timeout: float = 60.0) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _login(api_url: str, login: DemoLogin) -> str:
    body = urllib.parse.urlencode({"username": login.username, "password": login.password}).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(f"{api_url}/auth/token", data=body), timeout=30) as response:
            return json.loads(response.read())["access_token"]
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"login as {login.username}: HTTP {exc.code} {exc.read()[:200]!r}") from None


def check_once(state: Readiness, elapsed: float, api_url: str, contracts: LedgerContracts, institution: int,
               login: DemoLogin, replay_head: bytes, credits: dict | None = None) -> None:
    """Run every check not passed yet; record when each first passes and why the others do not."""
    def attempt(name: str, check) -> None:
        if name in state.passed or name not in state.expected:
            return
        try:
            problem = check()
        except (OSError, RuntimeError, ValueError, KeyError) as exc:
            problem = f"{type(exc).__name__}: {exc}"
        if problem is None:
            state.passed[name] = elapsed
        else:
            state.last_problem[name] = problem

    head = contracts.attestations.latest_root(institution)
    root = "0x" + head.hex()

    def dashboard() -> str | None:
        status, body = _get(f"{api_url}/api/dashboard/institution/{institution}")
        if status != 200:
            return f"HTTP {status} {body[:200]!r}"
        data = json.loads(body)
        months = [m for m in data.get("monthly", []) if m.get("kgco2e")]
        if not data["periods"]["year"].get("kgco2e") or not months:
            return f"no year figures yet: {data['periods']['year'].get('problem')}"
        return None

    def logged_in() -> str | None:
        token = _login(api_url, login)
        status, body = _get(f"{api_url}/batches/{root}", token)
        return None if status == 200 else f"API does not list batch {root[:18]}… yet: HTTP {status} {body[:160]!r}"

    def explorer() -> str | None:
        status, _ = _get(f"{api_url}/explorer/batch/{root}")
        return None if status == 200 else f"HTTP {status} for /explorer/batch/{root[:18]}…"

    def live() -> str | None:
        return None if head != replay_head else "no batch anchored since the live processes started"

    def credits_visible() -> str | None:
        token = _login(api_url, login)
        status, body = _get(f"{api_url}/credits/tokens", token)
        if status != 200:
            return f"/credits/tokens: HTTP {status} {body[:160]!r}"
        tokens = {t["token_id"]: t for t in json.loads(body)["items"]}
        issued = tokens.get(credits["token_id"])
        if issued is None or (issued["issued"], issued["retired"]) != (credits["issued"], credits["retired"]):
            return f"/credits/tokens does not show token {credits['token_id']} as issued and retired: {issued}"
        status, body = _get(f"{api_url}/credits/retirements", token)
        if status != 200:
            return f"/credits/retirements: HTTP {status} {body[:160]!r}"
        certificates = [r["certificate_id"] for r in json.loads(body)["items"]]
        if credits["certificate_id"] not in certificates:
            return f"/credits/retirements does not list certificate {credits['certificate_id']} ({certificates})"
        return None

    attempt("live", live)
    attempt("dashboard", dashboard)
    if "live" in state.passed:  # the latest batch must be a live one for the last two checks
        attempt("login", logged_in)
        attempt("explorer", explorer)
    attempt("credits", credits_visible)
