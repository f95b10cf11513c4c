"""The service: planning, dispatch lanes and their failure handling, hot reload, workers."""
