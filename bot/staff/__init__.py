"""The staff conversation: newsroom staff send the bot links in a private Telegram chat."""
