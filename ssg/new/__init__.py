"""ssg/new: see docs/architecture.md."""
