"""Configuration: the settings models, loading them from file and environment, schedule config."""
