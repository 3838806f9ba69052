"""The public API for plugins: everything a plugin (first-party or not) may import.

Built-in plugins import only from here; if one needs something else, the hook
API is missing a piece and it belongs here.
"""

from ssg.build.write import atomic_write
from ssg.config.schema import Option, Table
from ssg.deploy.target import DeployError, temp_name
from ssg.deploy.target import Target as DeployTarget
from ssg.errors import ConfigError, ContentError, Location, PathError, PluginError, SsgError, TemplateError
from ssg.graph.reads import page_fields, record, tracked
from ssg.model import Output, Page, Paginator, Section, Site, TocEntry, listing_repr
from ssg.plugins.hookspecs import hookimpl
from ssg.sources.fields import FieldReader
from ssg.sources.files import read_bytes as read_regular_file
from ssg.sources.urls import absolute_url, join_base, output_path, slugify
from ssg.sources.xmltext import xml_escape, xml_quoteattr

__all__ = [
    "ConfigError", "ContentError", "DeployError", "DeployTarget", "FieldReader", "Location", "Option", "Output",
    "Page", "Paginator", "PathError", "PluginError", "Section", "Site", "SsgError", "Table", "TemplateError", "TocEntry",
    "hookimpl", "join_base", "output_path", "read_regular_file", "slugify", "absolute_url", "temp_name", "atomic_write",
    "xml_escape", "xml_quoteattr", "record", "tracked", "page_fields", "listing_repr",
]

