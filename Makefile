# The two commands of the README are `make run` and `make test`; both set up
# what they need (PostgreSQL from Debian's packages, Go modules) themselves.
SHELL := /bin/bash
GO ?= go
FUZZTIME ?= 10s

.PHONY: run test build fmt vet lint binaries generate check-generated clean bench cluster ha

## run: start chatd on its embedded defaults (local PostgreSQL under .data/);
## the web client (web/out, served at /) builds meanwhile in the background
## when Node.js is there, once per change of its sources
run:
	@scripts/web.sh background
	$(GO) run ./cmd/chatd

## test: every test against a throwaway real PostgreSQL, then a short fuzz run
test:
	@scripts/test.sh

## cluster: etcd, one PostgreSQL, the development broker and three chatd
## nodes on local ports (8081-8083), to watch the ring work; then
## scripts/cluster.sh watch | kill N | stop N | start N | owners
## (docs/consistent-hashing.md)
cluster:
	@scripts/cluster.sh

## ha: etcd, a 3-member Patroni cluster (synchronous standby) and one chatd
## on 127.0.0.1:8080 that follows the primary (docs/operations.md)
ha:
	@scripts/ha.sh

## build: compile chatd into bin/
build:
	$(GO) build -buildvcs=auto -o bin/chatd ./cmd/chatd

## bench: short load test of every chatbench scenario against a throwaway
## chatd (BENCH_MODE=real|all adds real PostgreSQL and Kafka); prints the table
bench:
	@scripts/bench.sh

## lint: formatting, vet and no tracked binaries, as CI checks them
lint: fmt vet binaries

binaries:
	@scripts/check-binaries.sh

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

## generate: regenerate the REST documents (swag -> docs/, converted to
## OpenAPI 3 in api/openapi.yaml and interfaces/httpapi/openapi.json) and wire_gen.go
generate:
	$(GO) tool swag init --quiet --generalInfo doc.go --dir interfaces/httpapi --output docs \
		--outputTypes json,yaml --requiredByDefault
	$(GO) run ./cmd/openapigen -in docs/swagger.json -yaml api/openapi.yaml -json interfaces/httpapi/openapi.json
	cd cmd/chatd && $(GO) tool wire

# GENERATED lists every generated file that is committed.
GENERATED := docs/swagger.json docs/swagger.yaml api/openapi.yaml interfaces/httpapi/openapi.json cmd/chatd/wire_gen.go

## check-generated: fail when generated files are stale (or missing from git)
check-generated: generate
	@git diff --exit-code -- $(GENERATED) || { echo "generated files are stale: run make generate and commit them"; exit 1; }
	@untracked=$$(git ls-files --others --exclude-standard -- $(GENERATED)); \
		if [ -n "$$untracked" ]; then echo "generated files not committed: $$untracked"; exit 1; fi

clean:
	-scripts/pg.sh stop .data/pg
	rm -rf bin
