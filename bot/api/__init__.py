"""The HTTP API for the newsroom's CMS: queue stories, read them, health and metrics."""
