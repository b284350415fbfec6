//go:build !generate

package v1alpha1

import "github.com/crossplane/crossplane-runtime/v2/pkg/resource"

// Every managed kind of this group implements crossplane-runtime's managed
// resource interface; the methods come from angryjet (zz_generated.*.go), so
// these assertions are left out while it generates them (the generate build
// tag, set in apis/generate.go).
var (
	_ resource.ModernManaged = &ProjectAPIKey{}
	_ resource.ModernManaged = &WorkspaceAPIKey{}
	_ resource.ModernManaged = &Project{}
	_ resource.ModernManaged = &OAuth2Client{}
)
