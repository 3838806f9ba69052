"""The scheme -> target class registry, filled through ``ssg_deploy_targets``.
The core owns it: a scheme registered twice is an error naming both plugins."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

from ssg.deploy.target import Target
from ssg.errors import PluginError, SsgError
from ssg.pluginmanager import plugin_failure

if TYPE_CHECKING:
    from ssg.pluginmanager import Plugins

FALLBACK = "*"


def deploy_targets(plugins: Plugins) -> dict[str, type[Target]]:
    targets: dict[str, type[Target]] = {}
    owners: dict[str, str] = {}
    for plugin_name, function in plugins.impls("ssg_deploy_targets"):
        def register(scheme: str, target: type[Target], _plugin: str = plugin_name) -> None:
            if not isinstance(scheme, str) or not (scheme == FALLBACK or scheme.replace("+", "").isalnum()):
                raise PluginError(f"plugin '{_plugin}' registered a deploy target for the scheme {scheme!r}",
                                  hint="pass a URL scheme such as 'sftp', or '*' for the fallback")
            if not (isinstance(target, type) and issubclass(target, Target)):
                raise PluginError(f"plugin '{_plugin}' registered {target!r} for '{scheme}://'",
                                  hint="pass a subclass of ssg.api.DeployTarget")
            key = scheme.lower()
            if key in targets:
                raise PluginError(f"deploy scheme '{key}' is registered twice: by plugin '{owners[key]}' and by "
                                  f"plugin '{_plugin}'", hint="add one of the plugins to plugins.disable")
            targets[key] = target
            owners[key] = _plugin

        try:
            wanted = inspect.signature(function).parameters
            function(**({"register": register} if "register" in wanted else {}))
        except SsgError:
            raise
        except Exception as error:
            raise plugin_failure(plugin_name, "ssg_deploy_targets", error, None, function) from error
    return targets
