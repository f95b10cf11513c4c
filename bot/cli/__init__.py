"""The command line: the group and main, a shared context, one module per command group."""
