"""ssg: a plugin-based static site generator with incremental builds and locked deploys."""

__version__ = "0.1.0"
