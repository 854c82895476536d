"""Passwords (argon2id), access tokens (JWT HS256 with expiry) and the login rate limit."""

from __future__ import annotations

import secrets
import threading
import time
from collections import defaultdict, deque
from pathlib import Path

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from api.errors import ApiError
from ledger.config import Settings

_hasher = PasswordHasher()
JWT_ALGORITHM = "HS256"
# a hash to verify against when the user does not exist, so timing does not reveal which usernames exist
_DUMMY_HASH = _hasher.hash("not a password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def jwt_secret(settings: Settings) -> str:
    """ZCL_JWT_SECRET, else a random key created once in data_dir/api-jwt-secret (mode 0600)."""
    if settings.jwt_secret:
        return settings.jwt_secret
    path = Path(settings.data_dir) / "api-jwt-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_hex(32))
        tmp.chmod(0o600)
        tmp.replace(path)
    return path.read_text().strip()


def issue_token(secret: str, user_id: int, username: str, role: str, lifetime_seconds: int, now: int | None = None) -> str:
    issued = int(time.time()) if now is None else now
    claims = {"sub": str(user_id), "name": username, "role": role, "iat": issued, "exp": issued + lifetime_seconds}
    return jwt.encode(claims, secret, algorithm=JWT_ALGORITHM)


def read_token(secret: str, token: str) -> int:
    """The user id a valid token names; 401 for expired, forged or malformed tokens."""
    try:
        claims = jwt.decode(token, secret, algorithms=[JWT_ALGORITHM], options={"require": ["exp", "sub"]})
        return int(claims["sub"])
    except jwt.ExpiredSignatureError:
        raise unauthorized("token expired") from None
    except (jwt.InvalidTokenError, ValueError):
        raise unauthorized("invalid token") from None


def unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


class LoginLimiter:
    """At most `attempts` failed logins per (username, client address) within `window` seconds.

    Keyed on both so one attacker cannot lock a user out from everywhere, and one address cannot
    try many passwords for a user. A success clears the key's failures.
    """

    def __init__(self, attempts: int = 5, window: float = 300.0) -> None:
        self.attempts, self.window = attempts, window
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, username: str, client: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            failures = self._prune(username, client, now)
            if len(failures) >= self.attempts:
                retry_after = max(1, int(failures[0] + self.window - now) + 1)
                raise ApiError(429, "rate_limited", f"too many failed logins for {username!r} from this address; "
                               f"retry in {retry_after} s", {"retry_after": retry_after},
                               headers={"Retry-After": str(retry_after)})

    def failed(self, username: str, client: str, now: float | None = None) -> None:
        with self._lock:
            self._failures[(username, client)].append(time.monotonic() if now is None else now)

    def succeeded(self, username: str, client: str) -> None:
        with self._lock:
            self._failures.pop((username, client), None)

    def _prune(self, username: str, client: str, now: float) -> deque[float]:
        failures = self._failures[(username, client)]
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures
