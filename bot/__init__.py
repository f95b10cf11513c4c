"""crosspost: stories in, faithful Telegram and X posts out, on schedule, exactly once."""

__version__ = "0.1.0"
