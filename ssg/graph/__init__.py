"""ssg/graph: see docs/architecture.md."""
