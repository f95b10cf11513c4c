"""The one way a story enters (CLI, API, chat, feeds): parse its fields, check, dedupe, compose,
store; fetch-and-queue for a bare URL; feed polling's queueing."""
