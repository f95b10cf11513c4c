# Shortcuts for the scripts in scripts/ (which work without make).
.PHONY: run test lint bench
run:
	scripts/run
test:
	scripts/test
lint:
	scripts/lint
