"""Finding a theme: a folder of the site, or a theme packaged with ssg."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ssg.errors import ConfigError, Location


def theme_dir(site_root: Path, theme: str, config_path: Path | None) -> Path:
    """A theme is a folder relative to the site, or a theme packaged with ssg."""
    local = (site_root / theme)
    if local.is_dir():
        return local
    packaged = resources.files("ssg_themes") / theme
    if packaged.is_dir():
        return Path(str(packaged))
    available = sorted(p.name for p in resources.files("ssg_themes").iterdir()
                       if p.is_dir() and not p.name.startswith(("_", ".")))
    raise ConfigError(f"theme '{theme}' not found (no folder '{local}' and no packaged theme of that name)",
                      where=Location(str(config_path)) if config_path else None,
                      hint=f"packaged themes: {', '.join(available)}")
