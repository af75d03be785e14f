# The two commands of README.md: `make run` and `make test`; `make lint` is part of `make test`.
.PHONY: run test lint pot
run:
	bash tools/run.sh
test:
	bash tools/test.sh
lint:
	bash tools/lint.sh
pot:
	bash tools/pot.sh
