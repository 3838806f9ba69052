"""ssg/config: see docs/architecture.md."""
