# The two commands of the README are `make run` and `make test`; both set up
# what they need (PostgreSQL from Debian's packages, Go modules) themselves.
SHELL := /bin/bash
GO ?= go
FUZZTIME ?= 10s

.PHONY: run test test-short build fmt vet lint generate check-generated clean

## run: start chatd on its embedded defaults (local PostgreSQL under .data/)
run:
	$(GO) run ./cmd/chatd

## test: every test against a throwaway real PostgreSQL, then a short fuzz run
test:
	@scripts/test.sh

## build: compile chatd into bin/
build:
	$(GO) build -o bin/chatd ./cmd/chatd

## lint: formatting and vet, as CI checks them
lint: fmt vet

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

## generate: regenerate wire_gen.go
generate:
	cd cmd/chatd && $(GO) tool wire

## check-generated: fail when generated files are stale
check-generated: generate
	@git diff --exit-code -- cmd/chatd/wire_gen.go || { echo "wire_gen.go is stale: run make generate"; exit 1; }

clean:
	-scripts/pg.sh stop .data/pg
	rm -rf bin
