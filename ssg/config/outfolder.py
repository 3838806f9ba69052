"""Where the built site goes, and what it may never be: the output folder is
deleted by `ssg clean` and pruned by every build, so it must hold nothing
but what ssg writes. It is refused (a config error, exit 2) when it is the
site folder or one of its ancestors, or when it equals, contains or lies
inside a folder holding the site's sources, its theme, ssg's state, ssg.toml
or a version control folder."""

from __future__ import annotations

from pathlib import Path

from ssg.config.schema import TomlLocator
from ssg.errors import ConfigError, Location

SOURCE_FOLDERS = ("content", "templates", "static", "data", "plugins", "archetypes", "layouts", "assets", "i18n",
                  "themes")
STATE_FOLDER = ".ssg"
VCS_FOLDERS = (".git", ".hg", ".svn", ".bzr", "_darcs", ".jj")
CONFIG_FILE = "ssg.toml"


def resolve_output_root(site_root: Path, output_dir: str, theme: str, config_path: Path | None,
                        out: Path | None = None) -> Path:
    """The output folder, resolved (symlinks followed), or a ConfigError naming
    where it was set (the ``output_dir`` line of ssg.toml, or ``--out``)."""
    site = site_root.resolve()
    root = (out if out is not None else site / output_dir).resolve()
    if out is not None:
        where, key = Location("--out"), "--out"
    else:
        where, key = _where(config_path), "output_dir"
    hint = f"set {key} to a folder of its own, such as 'public'"
    if root == site or root in site.parents:
        raise ConfigError(f"{key} '{root}' is the site folder or contains it; ssg clean and pruning would delete "
                          "the site's sources", where=where, hint=hint)
    for part in root.parts:
        if part in VCS_FOLDERS or part == STATE_FOLDER:
            raise ConfigError(f"{key} '{root}' lies inside a '{part}' folder, which ssg must never write to or "
                              "delete from", where=where, hint=hint)
    for name, folder in _protected(site, theme):
        if root == folder or root in folder.parents:
            raise ConfigError(f"{key} '{root}' would hold the site's {name}; ssg clean and pruning would delete it",
                              where=where, hint=hint)
        if folder in root.parents:
            raise ConfigError(f"{key} '{root}' lies inside the site's {name}", where=where, hint=hint)
    return root


def _protected(site: Path, theme: str) -> list[tuple[str, Path]]:
    """(what, resolved path) of everything the output folder must keep clear of."""
    found = [(f"{theme.strip('/')}/ folder (its theme)", site / theme)] if theme and (site / theme).is_dir() else []
    found += [(f"{name}/ folder", site / name) for name in (*SOURCE_FOLDERS, STATE_FOLDER, *VCS_FOLDERS)]
    found.append((CONFIG_FILE, site / CONFIG_FILE))
    return [(what, path.resolve()) for what, path in found]


def _where(config_path: Path | None) -> Location | None:
    """file:line of ``output_dir`` in ssg.toml (the file alone when it is not set there)."""
    if config_path is None:
        return None
    try:
        text = config_path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return Location(str(config_path))
    return TomlLocator(str(config_path), text).where(("output_dir",))
