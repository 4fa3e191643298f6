"""How one server runs: the database, the write token, CORS, and the bounds that keep it responsive.

`xinwen serve` passes its options to the server's worker processes through the environment (uvicorn
starts each worker by importing `xinwen.web.app:app_from_env`), so `ServeSettings.from_env()` is the one
place either path reads them:

| variable | meaning | default |
|---|---|---|
| XINWEN_DB | the collection's database | ./xinwen.db |
| XINWEN_API_TOKEN | the write API's bearer token (writes are off without one) | none |
| XINWEN_API_TOKEN_FILE | a file holding that token (what `--token-file` sets: the secret stays out of the environment) | none |
| XINWEN_CORS_ORIGINS | origins allowed to call the API from a browser, comma-separated | none (CORS off) |
| XINWEN_MAX_IN_FLIGHT | requests one worker process works on at once; more are answered 503 at once (at a few ms each, 64 is a queue of a few hundred ms) | 64 |
| XINWEN_THREADS | threads one worker process runs views on (CPU-bound work holds the GIL: more threads only
  queue there) | 8 |
| XINWEN_MAX_BODY | the largest request body (bytes, or with K/M) | 16M |
| XINWEN_CACHE_MAX_AGE | seconds a browser or proxy may reuse a page without asking again | 0 |
| XINWEN_MAX_STALE | seconds after a write during which a page of the state before is still served while it is made again in the background (stale-while-revalidate) | 0 (off) |
| XINWEN_WORKERS | how many worker processes share the port (`xinwen serve --workers`); with more than one, a busy worker closes keep-alive connections so that they reconnect to an idle one | 1 |
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from xinwen.errors import XinwenError

MIN_TOKEN = 16  # characters: a token a person typed in a hurry ("secret") is refused
_SIZE = re.compile(r"^\s*(\d+)\s*([KMG]?)i?B?\s*$", re.IGNORECASE)


def parse_size(text: str, what: str) -> int:
    """Bytes from '16M', '512K', '1048576'."""
    m = _SIZE.match(text)
    if not m:
        raise XinwenError(f"{what}: not a size: {text!r} (bytes, or a number with K, M or G)")
    return int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2).upper()]


def read_token_file(path: str | Path) -> str:
    """The token in a file (its first line, stripped); a readable message when it cannot be used."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise XinwenError(f"cannot read the token file: {exc}", file=str(path)) from exc
    token = text.strip().splitlines()[0].strip() if text.strip() else ""
    return check_token(token, f"the token in {path}")


def check_token(token: str, where: str) -> str:
    if len(token) < MIN_TOKEN:
        raise XinwenError(f"{where} is too short: use at least {MIN_TOKEN} random characters "
                          "(for example `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)")
    if any(c.isspace() or not c.isprintable() for c in token):
        raise XinwenError(f"{where} has white space or control characters in it")
    return token


@dataclass(frozen=True)
class ServeSettings:
    """One server's settings; every worker process of it reads the same ones."""

    db: str
    token: str | None = field(default=None, repr=False)  # None: the write API answers 403
    cors_origins: tuple[str, ...] = ()
    max_in_flight: int = 64
    threads: int = 8
    max_body: int = 16 << 20
    max_records: int = 1000  # records in one POST
    max_age: int = 0
    response_cache_bytes: int = 32 << 20  # rendered pages kept per worker process
    part_cache_entries: int = 2048  # page parts (related articles, trends, ...) kept per worker process
    workers: int = 1  # worker processes sharing the port
    max_stale: int = 0  # seconds a page may lag a write while it is made again (0: never)

    @property
    def writes(self) -> bool:
        return self.token is not None

    @classmethod
    def from_env(cls, db: str | None = None) -> ServeSettings:
        """Settings from the environment (see the module's table); `db` overrides $XINWEN_DB."""
        from xinwen.collection import default_db

        env = os.environ
        token = None
        if env.get("XINWEN_API_TOKEN_FILE"):
            token = read_token_file(env["XINWEN_API_TOKEN_FILE"])
        elif env.get("XINWEN_API_TOKEN"):
            token = check_token(env["XINWEN_API_TOKEN"].strip(), "$XINWEN_API_TOKEN")
        origins = tuple(o.strip().rstrip("/") for o in env.get("XINWEN_CORS_ORIGINS", "").split(",") if o.strip())
        return cls(
            db=db or default_db(), token=token, cors_origins=origins,
            max_in_flight=_int(env, "XINWEN_MAX_IN_FLIGHT", 64, 1),
            threads=_int(env, "XINWEN_THREADS", 8, 1),
            workers=_int(env, "XINWEN_WORKERS", 1, 1),
            max_stale=_int(env, "XINWEN_MAX_STALE", 0, 0),
            max_body=parse_size(env["XINWEN_MAX_BODY"], "$XINWEN_MAX_BODY") if env.get("XINWEN_MAX_BODY")
            else 16 << 20,
            max_age=_int(env, "XINWEN_CACHE_MAX_AGE", 0, 0),
        )


def _int(env: os._Environ[str] | dict[str, str], name: str, default: int, least: int) -> int:
    value = env.get(name)
    if not value:
        return default
    try:
        n = int(value)
    except ValueError:
        raise XinwenError(f"${name}: not a whole number: {value!r}") from None
    if n < least:
        raise XinwenError(f"${name} must be at least {least}, not {n}")
    return n
