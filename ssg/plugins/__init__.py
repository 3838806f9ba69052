"""ssg/plugins: see docs/architecture.md."""
