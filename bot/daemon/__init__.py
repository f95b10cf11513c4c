"""The service: the daemon and its hot reload, planning, dispatch lanes with their failure
handling, and the feed-polling jobs."""
