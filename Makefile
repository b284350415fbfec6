# provider-ory. The two commands a person needs:
#   make run    run the provider against a local control plane and Ory simulator
#   make test   unit, contract and integration tests (builds the control plane once)

SHELL := /usr/bin/env bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo v0.0.0-dev)
LDFLAGS := -s -w -X github.com/crossplane-contrib/provider-ory/internal/version.Version=$(VERSION)
OUTPUT := _output/bin

.PHONY: all build generate check-generated lint controlplane test run help

all: build

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## Build the provider and the Ory console simulator into _output/bin, version stamped.
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(OUTPUT)/provider ./cmd/provider
	CGO_ENABLED=0 $(GO) build -trimpath -o $(OUTPUT)/orysim ./cmd/orysim

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

test: controlplane ## Run every test: unit, Ory API contract, and integration on a real API server.
	KUBEBUILDER_ASSETS="$$(hack/controlplane/build.sh)" $(GO) test -race -count=1 ./...
