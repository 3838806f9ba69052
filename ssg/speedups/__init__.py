"""ssg/speedups: see docs/architecture.md."""
