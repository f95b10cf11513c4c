"""Tests of ingestion: guarded fetching, extraction, feeds and polling."""
