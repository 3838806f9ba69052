"""ssg/build: see docs/architecture.md."""
