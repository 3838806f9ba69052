"""ssg/runtime: see docs/architecture.md."""
