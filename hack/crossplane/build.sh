#!/usr/bin/env bash
# Builds Crossplane core (the `crossplane` binary of github.com/crossplane/crossplane/v2)
# from source, and the test composition function of hack/crossplane/function, and prints
# the folder that holds both, so that: CROSSPLANE_BIN=$(hack/crossplane/build.sh)
# Crossplane's own CRDs (its module's cluster/crds) are copied to ../crds beside that
# folder (.cache/crossplane/crds by default): `crossplane core init --crds-path` and
# envtest read them there.
# stdout carries that one line only; progress goes to stderr.
#
# Why from source: only the Go module proxy is reachable here (no release binaries, no
# Docker), and `go install .../cmd/crossplane@v2.3.4` fails because the proxy refuses
# the module's version list and its go.mod replaces its apis module with ./apis. So the
# module is copied out of the module cache into a writable folder, its ./apis filled in,
# and built there.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${CROSSPLANE_CACHE_DIR:-$root/.cache/crossplane}"
mkdir -p "$cache/bin"
cache="$(cd "$cache" && pwd)"
out="$cache/bin"

crossplane_module=github.com/crossplane/crossplane/v2
apis_module=github.com/crossplane/crossplane/apis/v2
crossplane_version=v2.3.4
# Upstream stamps the version in with -X (see nix/build.nix of the module); without it
# `crossplane version` reports an empty one.
crossplane_ldflags="-s -w -X=github.com/crossplane/crossplane-runtime/v2/pkg/version.version=$crossplane_version"
# Static binaries like upstream's, and no C compiler needed on a fresh machine.
export CGO_ENABLED=0 GOWORK=off

# The stamp changes whenever anything that shapes the binaries or the CRDs changes.
stamp_text() {
	echo "crossplane: $crossplane_module@$crossplane_version apis@$crossplane_version"
	echo "ldflags: $crossplane_ldflags"
	(cd "$here" && sha256sum build.sh function/go.mod function/go.sum function/*.go)
}
up_to_date() {
	[[ -x "$out/crossplane" && -x "$out/function-ory-test" && -d "$cache/crds" ]] &&
		[[ "$(cat "$out/.stamp" 2>/dev/null)" == "$(stamp_text)" ]]
}

if ! up_to_date; then
	# Several callers (parallel test packages) may start at once: one builds, the rest wait.
	exec 9>"$out/.lock"
	if command -v flock >/dev/null; then flock 9; fi
	if ! up_to_date; then
		rm -f "$out/.stamp"
		start=$SECONDS
		echo "fetching $crossplane_module@$crossplane_version from the module proxy..." >&2
		# Run outside any module: inside this repository `go mod download` would
		# consult (and could write) the provider's go.mod and go.sum.
		nomod="$(mktemp -d)"
		trap 'rm -rf "$nomod"' EXIT
		modcache_dir() { # module@version -> its read-only folder in the module cache
			(cd "$nomod" && GOFLAGS= go mod download -json "$1") |
				sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'
		}
		src_dir="$(modcache_dir "$crossplane_module@$crossplane_version")"
		apis_dir="$(modcache_dir "$apis_module@$crossplane_version")"
		[[ -d "$src_dir" && -d "$apis_dir" ]] || {
			echo "cannot download $crossplane_module or $apis_module $crossplane_version" >&2
			exit 1
		}

		# A writable copy: the module cache is read-only, and go.mod's
		# `replace .../apis/v2 => ./apis` needs the apis module inside it.
		src="$cache/src"
		rm -rf "$src" "$src.new"
		cp -R "$src_dir" "$src.new"
		chmod -R u+w "$src.new"
		rm -rf "$src.new/apis"
		cp -R "$apis_dir" "$src.new/apis"
		chmod -R u+w "$src.new/apis"
		mv "$src.new" "$src"

		rm -rf "$cache/crds.new"
		cp -R "$src/cluster/crds" "$cache/crds.new"
		rm -rf "$cache/crds"
		mv "$cache/crds.new" "$cache/crds"

		build() { # module dir, package, binary name, ldflags
			local t=$SECONDS
			echo "building $3 (first time takes minutes)..." >&2
			# -buildvcs=false: no git needed. -mod=readonly: go.sum must already hold every sum.
			go build -C "$1" -mod=readonly -trimpath -buildvcs=false -ldflags="$4" -o "$out/$3.new" "$2" >&2
			mv -f "$out/$3.new" "$out/$3"
			echo "built $3 in $((SECONDS - t))s" >&2
		}
		build "$src" ./cmd/crossplane crossplane "$crossplane_ldflags"
		build "$here/function" . function-ory-test "-s -w"
		stamp_text >"$out/.stamp"
		echo "crossplane ready in $((SECONDS - start))s" >&2
	fi
fi
echo "$out"
