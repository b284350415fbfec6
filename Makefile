# provider-ory. The two commands a person needs:
#   make run    run the provider against a local control plane and Ory simulator
#   make test   unit, contract and integration tests (builds the control plane once)

SHELL := /usr/bin/env bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo v0.0.0-dev)
# Fixed once per make run: the binaries are stamped early and the tests read it
# late, and an edit in between would otherwise make them disagree.
VERSION := $(VERSION)
LDFLAGS := -s -w -X github.com/crossplane-contrib/provider-ory/internal/version.Version=$(VERSION)
OUTPUT := _output/bin
# make package writes the runtime image and the Crossplane package here.
IMAGE_TAR := _output/provider-ory-image-$(VERSION).tar
XPKG := _output/provider-ory-$(VERSION).xpkg

.PHONY: all build package crossplane-cli generate check-generated lint controlplane crossplane test e2e run help bench

all: build

help: ## List the targets.
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## Build the provider and the Ory console simulator into _output/bin, version stamped (`provider --version`).
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(OUTPUT)/provider ./cmd/provider
	CGO_ENABLED=0 $(GO) build -trimpath -o $(OUTPUT)/orysim ./cmd/orysim

package: build ## The runtime image and the Crossplane package (.xpkg) in _output/, without Docker.
	$(GO) run ./hack/image --binary=$(OUTPUT)/provider --version=$(VERSION) --output=$(IMAGE_TAR)
	"$$(hack/package/crossplane-cli.sh)" xpkg build --package-root=package --examples-root=examples \
		--embed-runtime-image-tarball=$(IMAGE_TAR) --package-file=$(XPKG)
	@echo "wrote $(IMAGE_TAR) and $(XPKG)"

crossplane-cli: ## Build the Crossplane CLI v2.2.0 (`crossplane xpkg build`) from source (cached in .cache/crossplane-cli).
	@hack/package/crossplane-cli.sh >/dev/null

run: build controlplane ## Run the provider on a local control plane with the Ory simulator and examples/; ARGS=--check exits 0 once all converge.
	$(GO) build -o $(OUTPUT)/localrun ./cmd/localrun
	KUBEBUILDER_ASSETS="$$(hack/controlplane/build.sh)" $(OUTPUT)/localrun --provider=$(OUTPUT)/provider $(ARGS)

# The e2e test (test/e2e) runs the binary `make build` made, and checks that it
# reports $(VERSION); run without these (plain `go test`), it builds its own.
test e2e: export E2E_PROVIDER_BIN = $(abspath $(OUTPUT)/provider)
test e2e: export E2E_PROVIDER_VERSION = $(VERSION)

e2e: controlplane build ## Run only the e2e test: the provider binary against a local control plane and the simulator.
	KUBEBUILDER_ASSETS="$$(hack/controlplane/build.sh)" $(GO) test -race -count=1 -v ./test/e2e

generate: ## Regenerate deepcopy methods, managed resource methods and CRDs.
	$(GO) generate -tags generate ./apis

check-generated: generate ## Fail if generated code or CRDs differ from what is committed.
	@if [ -n "$$(git status --porcelain -- apis package/crds)" ]; then \
		echo "generated files are stale; run 'make generate' and commit:"; git status --porcelain -- apis package/crds; exit 1; fi

lint: ## gofmt and go vet.
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

controlplane: ## Build etcd, kube-apiserver and kube-controller-manager from source (cached in .cache/).
	@hack/controlplane/build.sh >/dev/null

crossplane: ## Build Crossplane core v2.3.4 and the test composition function from source (cached in .cache/crossplane).
	@hack/crossplane/build.sh >/dev/null

# test/package pushes the package `make package` built to a registry on
# loopback with the Crossplane CLI and checks what Crossplane pulls.
test: export PACKAGE_XPKG = $(abspath $(XPKG))
test: export PACKAGE_VERSION = $(VERSION)

test: controlplane crossplane build package ## Run every test: unit, Ory API contract, integration, e2e, reliability and crash on a real API server, compositions on real Crossplane, the package from a registry.
	@report=$$(mktemp); status=0; \
	KUBEBUILDER_ASSETS="$$(hack/controlplane/build.sh)" CROSSPLANE_BIN="$$(hack/crossplane/build.sh)" CROSSPLANE_CLI="$$(hack/package/crossplane-cli.sh)" RELIABILITY_REPORT=$$report \
		$(GO) test -race -count=1 -timeout 30m ./... || status=$$?; \
	hack/reliability-line.sh $$report; rm -f $$report; exit $$status

# N and P default to 1000 and 10 (test/bench's defaults); BENCH_ARGS adds flags
# of test/bench, e.g. BENCH_ARGS='-poll=20s -json=bench.json' (`go run ./test/bench -help`).
bench: controlplane ## Benchmark N ProjectAPIKeys across P projects (`make bench N=200 P=4`), shared view against naive mode; see docs/performance.md.
	KUBEBUILDER_ASSETS="$$(hack/controlplane/build.sh)" $(GO) run ./test/bench $(if $(N),-n=$(N)) $(if $(P),-p=$(P)) -version=$(VERSION) $(BENCH_ARGS)
