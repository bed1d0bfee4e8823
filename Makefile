# v2x-edge — run `make help` for the targets.
GO        ?= go
BIN       ?= bin
# Fuzzing is bounded by executions, not time: a duration -fuzztime can fail
# spuriously with "context deadline exceeded" in go1.26 (go.dev/issue/75804).
FUZZTIME  ?= 10000x
DEMO_DATA ?= .v2x-demo
BENCHTIME ?= 1s

.DEFAULT_GOAL := help
.PHONY: help build test vet js-deps testdata-recording unit fuzz accuracy bench bench-e2e demo generate generate-check clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

build: ## build every command into bin/
	$(GO) build -o $(BIN)/ ./cmd/...

test: vet js-deps fuzz accuracy unit ## everything CI runs: go vet, gofmt, darwin and windows cross-builds, a short run of every fuzz target, the accuracy judgement, go test -race

vet: ## go vet, a gofmt check, and cross-builds for darwin and windows (the node runs there without eBPF)
	$(GO) vet ./...
	GOOS=darwin $(GO) build ./...
	GOOS=windows $(GO) build ./...
	GOOS=windows $(GO) vet ./edge/client ./cmd/v2x-sub ./cmd/v2x-decode
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

js-deps: ## install the Node.js packages the tests use (other projects' readers of our files; playwright-core for the live page; the Foxglove client) with npm ci, pinned by lockfiles; skipped without npm
	@if command -v npm >/dev/null; then \
	  for d in edge/record/mcap/testdata/js cmd/v2x-edge/testdata/web edge/testdata/foxglove; do npm ci --prefix $$d --no-audit --no-fund --loglevel=error; done; \
	else echo "npm not found: tests that read our files with other projects' readers will skip"; fi

unit: ## go test -race ./...
	$(GO) test -race -count=1 -timeout 15m ./...

fuzz: ## run every fuzz target for FUZZTIME (default 10000 executions each)
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg > /tmp/v2x-fuzz.log 2>&1 || { cat /tmp/v2x-fuzz.log; exit 1; }; \
	  done; \
	done

accuracy: ## judge the tracker against the simulator's ground truth (real time, no -race)
	$(GO) test -count=1 -run Accuracy -v ./bench/e2e/

bench: ## run the benchmarks (BENCHTIME per benchmark)
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...

bench-e2e: build ## end-to-end broadcast benchmark against Mosquitto (results in bench-results/)
	$(BIN)/v2x-bench -subs 10,100,500,1000 -duration 10s -sockets 4 -out bench-results

demo: ## run a node fed by the built-in simulated intersection (Ctrl-C to stop)
	@echo "building v2x-edge into $(BIN)/ (the first build takes a while)..."
	@$(GO) build -o $(BIN)/ ./cmd/v2x-edge
	@echo "starting $(BIN)/v2x-edge -demo -data $(DEMO_DATA): a node on 127.0.0.1:4433, metrics on 127.0.0.1:9464; Ctrl-C to stop"
	$(BIN)/v2x-edge -demo -data $(DEMO_DATA)

testdata-recording: build ## re-record cmd/v2x-replay/testdata/demo-2s.mcap (the fusion regression check) after a change that moves the fused output on purpose
	rm -rf /tmp/v2x-rec && $(BIN)/v2x-edge -demo -data /tmp/v2x-rec/data -listen 127.0.0.1:0 -http '' -record /tmp/v2x-rec/rec -duration 2s
	cp /tmp/v2x-rec/rec/*.mcap cmd/v2x-replay/testdata/demo-2s.mcap
	$(BIN)/v2x-replay -refuse cmd/v2x-replay/testdata/demo-2s.mcap

generate: ## regenerate the bpf2go output (needs clang, llvm, libbpf-dev) and the ASN.1 codecs
	$(GO) generate ./...

generate-check: generate ## regenerate and fail if the committed output differs
	git diff --exit-code -- bpf/ v2x/csae53/ v2x/j2735/ internal/asn1gen/gentest/

clean: ## remove build output and demo data
	rm -rf $(BIN) $(DEMO_DATA)
