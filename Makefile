# roster — make targets. `make run` and `make test` are all a newcomer needs.
GO      ?= go
BIN     := bin/roster
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
# Benchmarks write Raft data here (the disk matters: fsync dominates writes).
BENCH_TMP ?= $(CURDIR)/.benchtmp

.PHONY: all build run run-cluster test unit fuzz-ci chaos bench lint golden fuzz clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/roster

# A single-node agent with embedded defaults: HTTP on 127.0.0.1:8500,
# data in a temporary directory (gone when it stops).
run: build
	./$(BIN) agent --dev

# Three servers on 127.0.0.1, .2 and .3 (default ports), data in .cluster/.
run-cluster: build
	./scripts/run-cluster.sh

# What CI runs: vet, the unit and cluster tests under the race detector,
# every fuzz target briefly, and (as root) the fault-injection suite.
test: unit fuzz-ci
	@if [ "$$(id -u)" = 0 ]; then $(MAKE) chaos; \
	else echo "skipping 'make chaos': it needs root (network namespaces, iptables)"; fi

unit:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...

FUZZ_CI ?= 30s
fuzz-ci:
	$(MAKE) fuzz FUZZTIME=$(FUZZ_CI)

# Fault injection: real agents in network namespaces under partitions, kills
# and pauses (needs root, iproute2, iptables). Prints its seed;
# ROSTER_CHAOS_SEED=N replays a run, ROSTER_CHAOS_NODES=5 uses five nodes,
# ROSTER_CHAOS_LONG=1 runs 150 faults (use CHAOS_TIMEOUT=2h).
CHAOS_TIMEOUT ?= 30m
chaos:
	ROSTER_CHAOS=1 $(GO) test -p 1 -count=1 -v -timeout $(CHAOS_TIMEOUT) ./e2e/chaos/...

bench: build
	mkdir -p $(BENCH_TMP)
	TMPDIR=$(BENCH_TMP) $(GO) test -run '^$$' -bench 'FsyncBaseline|RegisterHTTP' -benchtime 3s ./agent/
	TMPDIR=$(BENCH_TMP) $(GO) run ./tools/clusterbench -bin $(BIN) -kills 20
	rm -rf $(BENCH_TMP)
	$(GO) test ./dnsserver -run '^$$' -bench . -benchmem -count 3
	$(GO) run ./tools/dnsload -instances 10 -clients 16 -duration 2s -rounds 6
	$(GO) run ./tools/dnsload -instances 100000 -clients 16 -duration 2s -rounds 6

# Regenerate DNS golden answers after an intended change.
golden:
	$(GO) test ./dnsserver -run Golden -update

# Fuzz every target: `make fuzz` runs each for FUZZTIME (CI runs 30s each
# as part of `make test`).
FUZZTIME ?= 5m
fuzz:
	$(GO) test ./dnsserver -run '^$$' -fuzz '^FuzzAnswer$$' -fuzztime $(FUZZTIME)
	$(GO) test ./dnsserver -run '^$$' -fuzz '^FuzzWRR$$' -fuzztime $(FUZZTIME)
	$(GO) test ./httpapi -run '^$$' -fuzz '^FuzzRegisterBody$$' -fuzztime $(FUZZTIME)

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	$(GO) mod tidy -diff

clean:
	rm -rf bin $(BENCH_TMP) .cluster
