"""The staff web desk: server-rendered pages over the queue, served beside the HTTP API."""
