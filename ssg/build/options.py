"""What a build is asked to do (``BuildOptions``) and what it did (``BuildResult``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ssg.errors import SsgError
from ssg.runtime.progress import QUIET, Progress

if TYPE_CHECKING:
    from ssg.config.site import SiteConfig

# Why a page is left out of a build: what the terminal calls such pages, and the flag that includes them.
SKIPPED = {"draft": ("draft page", "--drafts"), "future": ("future-dated page", "--future"),
           "expired": ("expired page", "--expired")}


@dataclass(frozen=True)
class BuildOptions:
    out: Path | None = None
    drafts: bool = False
    future: bool = False
    expired: bool = False    # include pages whose expiry date has passed
    base_url: str | None = None
    strict: bool = False     # warnings fail the build (exit 1), for CI
    offline: bool = False    # plugins must not use the network (remote data comes from .ssg/ caches)
    wait: bool = True        # another build holds the site's lock: wait (True) or fail (False)
    on_wait: Callable[[str], None] | None = None   # told whom we wait for
    workers: int = 0         # render/parse processes; 0 = one per core
    explain: tuple[str, ...] = ()   # output paths whose rebuild reason to report
    page_timeout: float | None = None   # seconds per output (None: [build] page_timeout)
    page_memory: int | None = None      # MiB per render process (None: [build] page_memory)
    progress: Progress = QUIET          # told the stage and counts while the build runs (ssg/runtime/progress.py)

    def site_flags(self) -> dict[str, bool]:
        """The ``Site`` flags these options set: which pages are published, and whether plugins may use the network."""
        return {"include_drafts": self.drafts, "include_future": self.future, "include_expired": self.expired,
                "offline": self.offline}

    def page_seconds(self, config: SiteConfig) -> float:
        """The limit on one page's work in each stage: its parse, its link
        pass, the render of one output (--page-timeout, else [build] page_timeout)."""
        return self.page_timeout if self.page_timeout is not None else config.build["page_timeout"]


@dataclass
class BuildResult:
    output_root: Path
    rendered: int = 0
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    errors: list[SsgError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    parsed: int = 0                                           # content files parsed (not from the cache)
    reasons: dict[str, str] = field(default_factory=dict)     # output path -> why it was rendered
    explained: dict[str, str] = field(default_factory=dict)   # --explain PATH -> answer
    timings: dict[str, float] = field(default_factory=dict)   # stage -> seconds
    source: str = ""          # where the site came from (ssg/build/pipeline.py: SiteSource.name)
    restamped: int = 0        # files found with new times and the same bytes (ssg/build/restamp.py)
    skipped: dict[str, int] | None = None   # pages left out by reason (SKIPPED); None: as the last full build

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def warm(self) -> bool:
        """Rebuilt from the model a long-running process kept (ssg/build/sources/kept.py)."""
        return self.source == "kept model"

    @property
    def narrow(self) -> bool:
        """Rebuilt from the state and a partial site (ssg/build/sources/partial.py)."""
        return self.source.startswith("partial site")

    def skipped_text(self) -> str:
        """'1,329 future-dated pages not built (--future includes them)', for the terminal."""
        return "; ".join(f"{count:,} {SKIPPED[reason][0]}{'s' if count != 1 else ''} not built "
                         f"({SKIPPED[reason][1]} includes {'them' if count != 1 else 'it'})"
                         for reason, count in sorted((self.skipped or {}).items()) if reason in SKIPPED and count)

    def summary(self) -> dict[str, Any]:
        return {
            "output": str(self.output_root),
            "pages_rendered": self.rendered,
            "files_parsed": self.parsed,
            "files_written": len(self.written),
            "files_unchanged": len(self.unchanged),
            "files_deleted": len(self.deleted),
            "files_restamped": self.restamped,
            "pages_skipped": self.skipped or {},
            "errors": [e.as_dict() for e in self.errors],
            "warnings": self.warnings,
            "seconds": round(self.seconds, 3),
            "timings": self.timings,
            **({"explain": self.explained} if self.explained else {}),
        }
