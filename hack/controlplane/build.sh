#!/usr/bin/env bash
# Builds etcd, kube-apiserver and kube-controller-manager from source (only the
# Go module proxy is reachable: no release binaries, no Docker) and prints the
# folder that holds them, so that: KUBEBUILDER_ASSETS=$(hack/controlplane/build.sh)
# stdout carries that one line only; progress goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${CONTROLPLANE_BIN_DIR:-$root/.cache/controlplane/bin}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

# Upstream stamps these in with -X; without them the API server reports
# v0.0.0-master at /version, which clients that check versions dislike.
kube_version=v1.35.3
kv=k8s.io/component-base/version
kube_ldflags="-s -w -X $kv.gitVersion=$kube_version -X $kv.gitMajor=1 -X $kv.gitMinor=35 -X $kv.gitTreeState=clean"
# Static binaries like upstream's, and no C compiler needed on a fresh machine.
export CGO_ENABLED=0 GOWORK=off

# The stamp changes whenever anything that shapes the binaries changes.
stamp_text() {
	grep -h -E '^\s*(require )?(go\.etcd\.io/etcd/server/v3|k8s\.io/kubernetes) v' "$here"/etcd/go.mod "$here"/kube/go.mod
	echo "ldflags: $kube_ldflags"
	(cd "$here" && sha256sum etcd/go.mod etcd/go.sum etcd/main.go kube/go.mod kube/go.sum kube/cmd/*/main.go)
}
up_to_date() {
	[[ -x "$out/etcd" && -x "$out/kube-apiserver" && -x "$out/kube-controller-manager" ]] &&
		[[ "$(cat "$out/.stamp" 2>/dev/null)" == "$(stamp_text)" ]]
}

if ! up_to_date; then
	# Several callers (parallel test packages) may start at once: one builds, the rest wait.
	exec 9>"$out/.lock"
	if command -v flock >/dev/null; then flock 9; fi
	if ! up_to_date; then
		rm -f "$out/.stamp"
		tmp="$(mktemp -d "$out/.build.XXXXXX")"
		# -buildvcs=false: no git needed, so a checkout owned by another user cannot fail the build.
		gobuild() { go build -C "$1" -mod=readonly -trimpath -buildvcs=false "${@:2}" >&2; }
		# One go build alone leaves about a third of the 2 cores idle (links and
		# big packages are serial), so etcd builds alongside; memory is no limit
		# (the kube link peaks near 2 GB). Both kube binaries share one go build so
		# that their common packages compile once.
		echo "building etcd, kube-apiserver, kube-controller-manager (first time: 5-10 min)..." >&2
		start=$SECONDS
		gobuild "$here/etcd" -ldflags="-s -w" -o "$tmp/etcd" . &
		etcd_pid=$!
		# If the kube build fails, do not leave the etcd build running.
		trap 'kill "$etcd_pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
		gobuild "$here/kube" -ldflags="$kube_ldflags" -o "$tmp/" ./cmd/kube-apiserver ./cmd/kube-controller-manager
		wait "$etcd_pid"
		# Callers that skip this script never see a half-written binary.
		mv -f "$tmp"/etcd "$tmp"/kube-apiserver "$tmp"/kube-controller-manager "$out/"
		echo "built in $((SECONDS - start))s" >&2
		stamp_text >"$out/.stamp"
	fi
fi
echo "$out"
