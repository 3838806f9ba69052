"""ssg/sources: see docs/architecture.md."""
