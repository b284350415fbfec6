// Package version holds the provider's version, stamped in at build time with
// -ldflags "-X github.com/crossplane-contrib/provider-ory/internal/version.Version=v0.1.0".
package version

// Version of the provider binary.
var Version = "v0.0.0-dev"
