"""Themes packaged with ssg, installed as ``ssg_themes`` (one folder per theme)."""
