# mlsysim-go. `make demo` runs the embedded default sweep; `make test` runs the tests.
GO ?= go
# The version recorded in the binary and in every output file's metadata.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# The image deploy/kubernetes/sweep-indexed-job.yaml runs.
IMAGE ?= ghcr.io/mlsysim/mlsysim-go:latest
# A static, stripped binary: no C library needed, no symbol table or DWARF.
BUILDFLAGS ?= -trimpath -ldflags "-s -w -X main.version=$(VERSION)"

.PHONY: demo test test-ci bench lint build image duckdb polars figures clean

demo: ## run the embedded default sweep into out/
	$(GO) run ./cmd/sweep run

test: ## the tests (DuckDB and polars checks run when tests/duckdb and tests/polars have their packages: make duckdb polars)
	$(GO) test ./...

test-ci: ## what CI runs
	bash .ci/run

duckdb: ## install DuckDB's Node API for the external-reader tests
	cd tests/duckdb && npm ci --no-audit --no-fund

polars: ## install polars' Node API (nodejs-polars) for the external-reader tests
	cd tests/polars && npm ci --no-audit --no-fund

bench: ## benchmarks of the hot paths, with allocation counts
	$(GO) test -run '^$$' -bench . -benchmem ./engine/ ./dse/ ./outputs/

lint: ## formatting and vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

figures: ## redraw the gallery (docs/figures/*.png) from the entries of docs/figures.md
	$(GO) test ./figures/ -run '^TestGallery$$' -count=1 -args -gallery

build: ## the sweep binary in bin/ (static, stripped)
	CGO_ENABLED=0 $(GO) build $(BUILDFLAGS) -o bin/sweep ./cmd/sweep

image: ## the container image (Dockerfile: static binary on distroless) as $(IMAGE)
	docker build --build-arg VERSION=$(VERSION) -t $(IMAGE) .

clean:
	rm -rf bin out
