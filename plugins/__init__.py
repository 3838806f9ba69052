"""First-party ssg plugins, installed as the package ``ssg_plugins``.

Each module is an ordinary plugin written only against ``ssg.api``; the core
loads them first, then third-party entry points, then the site's own plugins.
"""
