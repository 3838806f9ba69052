"""ssg/build/sources: see docs/architecture.md."""
