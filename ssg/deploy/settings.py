"""Which target to deploy to and with which options: ``[deploy.<name>]`` from
ssg.toml (or a URL given on the command line), validated against the common
keys plus the target's own, with ``${ENV}`` references expanded."""

from __future__ import annotations

import difflib
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

from ssg.config.schema import Option, Table, TomlLocator, validate
from ssg.config.site import RawConfig
from ssg.deploy.redact import Redactor, display_url
from ssg.deploy.registry import FALLBACK
from ssg.deploy.target import Target
from ssg.errors import ConfigError, Location, UsageError

DEFAULT_MAX_DELETES = 256          # as hugo deploy; a whole-site wipe needs an explicit --max-deletes
DEFAULT_LEASE_SECONDS = 120.0
_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SECRET_KEYS = ("password", "secret", "token", "passphrase")


def _at_least_zero(value: int) -> str | None:
    return "must be 0 or more" if value < 0 else None


def _jobs(value: int) -> str | None:
    return "must be between 0 and 32" if not 0 <= value <= 32 else None


def _lease_length(value: float) -> str | None:
    return "must be at least 1 second" if value < 1 else None


COMMON_OPTIONS = Table({
    "url": Option(str, None, "where to publish: ftp://, ftps://, sftp://, s3://, file:// or any fsspec URL"),
    "exclude": Option(list, [], "globs of output paths not to publish (and never to delete)", items=str),
    "max_deletes": Option(int, DEFAULT_MAX_DELETES, "a deploy that would delete more files than this fails "
                          "before deleting anything", check=_at_least_zero),
    "cache_control": Table(doc="Cache-Control header per glob, e.g. '*.css' = 'max-age=31536000'",
                           open=True, values=Option(str)),
    "content_types": Table(doc="Content-Type per glob, overriding the guess from the extension",
                           open=True, values=Option(str)),
    "lease_seconds": Option((int, float), DEFAULT_LEASE_SECONDS, "length of the remote lock lease; renewed "
                            "every third of it", check=_lease_length),
    "jobs": Option(int, 0, "files uploaded at once, one connection each (0: the protocol's default)",
                   check=_jobs),
})


@dataclass(frozen=True)
class TargetSettings:
    name: str
    url: SplitResult
    options: Mapping[str, Any]
    target_class: type[Target]
    where: Location | None

    @property
    def shown_url(self) -> str:
        return display_url(self.url)

    @property
    def lock_name(self) -> str:
        """File-name-safe name for the local lock: the table name, or a hash of a URL."""
        if re.fullmatch(r"[A-Za-z0-9_.-]+", self.name):
            return self.name
        return "url-" + hashlib.sha256(self.name.encode()).hexdigest()[:12]

    @property
    def jobs(self) -> int:
        return self.options["jobs"] or self.target_class.default_jobs

    def open(self) -> Target:
        return self.target_class(self.url, self.options)


def resolve_target(raw: RawConfig, choice: str | None, targets: Mapping[str, type[Target]],
                   redactor: Redactor) -> TargetSettings:
    tables = raw.data.get("deploy") or {}
    if choice is not None and "://" in choice:
        name = display_url(urlsplit(choice))     # a name that carries no password
        return _settings(name, {"url": choice}, TomlLocator("the command line", ""), (), targets, redactor)
    if choice is None:
        if len(tables) != 1:
            names = ", ".join(sorted(tables))
            raise UsageError("which target? " + (f"ssg.toml defines {names}" if tables else
                                                 "ssg.toml has no [deploy.<name>] table"),
                             where=raw.path, hint="run `ssg deploy NAME` or `ssg deploy URL`; see docs/deploy.md")
        choice = next(iter(tables))
    if choice not in tables:
        close = difflib.get_close_matches(choice, list(tables), n=1)
        raise UsageError(f"no deploy target named '{choice}'", where=raw.path,
                         hint=f"did you mean '{close[0]}'?" if close else
                         "add a [deploy." + choice + "] table with a url, or pass a URL")
    return _settings(choice, tables[choice], raw.locator, ("deploy", choice), targets, redactor)


def _settings(name: str, table: dict, locator: TomlLocator, keys: tuple[str, ...],
              targets: Mapping[str, type[Target]], redactor: Redactor) -> TargetSettings:
    url_text = table.get("url")
    if not isinstance(url_text, str) or "://" not in url_text:
        raise ConfigError(f"deploy target '{name}' needs a url such as 'sftp://user@host/var/www'",
                          where=locator.where(keys + ("url",)), hint="see docs/deploy.md for the URL forms")
    scheme = urlsplit(url_text).scheme.lower()
    target_class = targets.get(scheme) or targets.get(FALLBACK)
    if target_class is None:
        raise ConfigError(f"no deploy plugin handles '{scheme}://'", where=locator.where(keys + ("url",)),
                          hint="known schemes: " + ", ".join(sorted(s for s in targets if s != FALLBACK)))
    schema = Table({**COMMON_OPTIONS.options, **target_class.options.options})
    values = validate(schema, expand_env(table, locator, keys, redactor), locator, keys)
    url = urlsplit(values["url"])
    if url.password:
        redactor.add(url.password)
        redactor.add(unquote(url.password))
    for key, value in values.items():
        if isinstance(value, str) and any(word in key for word in _SECRET_KEYS):
            redactor.add(value)
    return TargetSettings(name, url, values, target_class, locator.where(keys) if keys else None)


def expand_env(value: Any, locator: TomlLocator, keys: tuple[str, ...], redactor: Redactor) -> Any:
    """``${NAME}`` in any string becomes the environment variable's value, which
    is then treated as a secret. An unset variable is a config error."""
    if isinstance(value, dict):
        return {k: expand_env(v, locator, keys + (k,), redactor) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_env(v, locator, keys, redactor) for v in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match) -> str:
        variable = match.group(1)
        if variable not in os.environ:
            raise ConfigError(f"'{'.'.join(keys)}' uses ${{{variable}}}, which is not set in the environment",
                              where=locator.where(keys),
                              hint=f"export {variable}=... (in CI: a secret passed as an environment variable)")
        secret = os.environ[variable]
        redactor.add(secret)
        return secret

    return _ENV_REFERENCE.sub(substitute, value)
