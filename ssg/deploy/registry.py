"""The scheme -> target class registry, filled through ``ssg_deploy_targets``.
The core owns it: a scheme registered twice is an error naming both plugins."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ssg.deploy.target import Target
from ssg.errors import PluginError

if TYPE_CHECKING:
    from ssg.plugins.manager import Plugins

FALLBACK = "*"


def deploy_targets(plugins: Plugins) -> dict[str, type[Target]]:
    targets: dict[str, type[Target]] = {}
    owners: dict[str, str] = {}

    def register(scheme: str, target: type[Target]) -> None:
        plugin = plugins.calling()
        if not isinstance(scheme, str) or not (scheme == FALLBACK or scheme.replace("+", "").isalnum()):
            raise PluginError(f"plugin '{plugin}' registered a deploy target for the scheme {scheme!r}",
                              hint="pass a URL scheme such as 'sftp', or '*' for the fallback")
        if not (isinstance(target, type) and issubclass(target, Target)):
            raise PluginError(f"plugin '{plugin}' registered {target!r} for '{scheme}://'",
                              hint="pass a subclass of ssg.api.DeployTarget")
        key = scheme.lower()
        if key in targets:
            raise PluginError(f"deploy scheme '{key}' is registered twice: by plugin '{owners[key]}' and by "
                              f"plugin '{plugin}'", hint="add one of the plugins to plugins.disable")
        targets[key] = target
        owners[key] = plugin

    plugins.hook.ssg_deploy_targets(register=register)
    return targets
