"""Secrets never reach the terminal: every line the deploy command prints,
tracebacks under --debug included, goes through ``Redactor.clean``."""

from __future__ import annotations

from urllib.parse import SplitResult

MASK = "***"


class Redactor:
    def __init__(self) -> None:
        self.secrets: set[str] = set()

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 3:   # masking '1' everywhere would make messages unreadable
            self.secrets.add(secret)

    def clean(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return text


def display_url(url: SplitResult) -> str:
    """The URL without its password: what the user may see."""
    netloc = url.hostname or ""
    if url.port:
        netloc = f"{netloc}:{url.port}"
    if url.username:
        netloc = f"{url.username}{':' + MASK if url.password else ''}@{netloc}"
    return url._replace(netloc=netloc).geturl()
