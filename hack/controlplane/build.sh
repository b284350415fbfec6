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
		# Sequential on purpose: each go build already keeps both cores busy, and
		# kube-controller-manager then reuses the packages kube-apiserver compiled.
		build() { # module dir, package, binary name, ldflags
			local start=$SECONDS
			echo "building $3 (first time takes minutes)..." >&2
			# -buildvcs=false: no git needed, and a checkout owned by another user cannot fail the build.
			go build -C "$here/$1" -mod=readonly -trimpath -buildvcs=false -ldflags="$4" -o "$out/$3.new" "$2" >&2
			mv -f "$out/$3.new" "$out/$3"
			echo "built $3 in $((SECONDS - start))s" >&2
		}
		build etcd . etcd "-s -w"
		build kube ./cmd/kube-apiserver kube-apiserver "$kube_ldflags"
		build kube ./cmd/kube-controller-manager kube-controller-manager "$kube_ldflags"
		stamp_text >"$out/.stamp"
	fi
fi
echo "$out"
