#!/usr/bin/env bash
# Builds the Crossplane CLI (`crossplane xpkg build`, the `crank` command of
# github.com/crossplane/crossplane/v2 v2.2.0) from source and prints its path, so that:
#   CROSSPLANE_CLI=$(hack/package/crossplane-cli.sh)
# stdout carries that one line only; progress goes to stderr. Cached in
# .cache/crossplane-cli (CROSSPLANE_CLI_CACHE_DIR overrides) until this script changes.
#
# Why v2.2.0 and from source: v2.3.x's module no longer carries the CLI, only the
# module proxy is reachable (no release binaries), and `go install ...@v2.2.0` fails
# because the proxy refuses the module's version list. So the module is copied out of
# the module cache into a writable folder and built there (v2.2.0 keeps its apis
# package inside the module, unlike v2.3.4: see hack/crossplane/build.sh).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${CROSSPLANE_CLI_CACHE_DIR:-$root/.cache/crossplane-cli}"
mkdir -p "$cache/bin"
cache="$(cd "$cache" && pwd)"
out="$cache/bin"

module=github.com/crossplane/crossplane/v2
version=v2.2.0
ldflags="-s -w -X=github.com/crossplane/crossplane-runtime/v2/pkg/version.version=$version"
export CGO_ENABLED=0 GOWORK=off

stamp_text() {
	echo "$module@$version $ldflags"
	sha256sum "$here/crossplane-cli.sh"
}
up_to_date() {
	[[ -x "$out/crossplane" ]] && [[ "$(cat "$out/.stamp" 2>/dev/null)" == "$(stamp_text)" ]]
}

if ! up_to_date; then
	# Parallel callers: one builds, the rest wait.
	exec 9>"$out/.lock"
	if command -v flock >/dev/null; then flock 9; fi
	if ! up_to_date; then
		rm -f "$out/.stamp"
		start=$SECONDS
		echo "fetching $module@$version from the module proxy..." >&2
		# Outside any module, so that the provider's go.mod and go.sum are not consulted.
		nomod="$(mktemp -d)"
		trap 'rm -rf "$nomod"' EXIT
		src_dir="$(cd "$nomod" && GOFLAGS= go mod download -json "$module@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
		[[ -d "$src_dir" ]] || {
			echo "cannot download $module@$version" >&2
			exit 1
		}
		src="$cache/src"
		rm -rf "$src" "$src.new"
		cp -R "$src_dir" "$src.new"
		chmod -R u+w "$src.new"
		mv "$src.new" "$src"
		echo "building the Crossplane CLI $version (first time takes minutes)..." >&2
		go build -C "$src" -mod=readonly -trimpath -buildvcs=false -ldflags="$ldflags" -o "$out/crossplane.new" ./cmd/crank >&2
		mv -f "$out/crossplane.new" "$out/crossplane"
		stamp_text >"$out/.stamp"
		echo "Crossplane CLI ready in $((SECONDS - start))s" >&2
	fi
fi
echo "$out/crossplane"
