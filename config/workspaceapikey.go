package config

import (
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/providerconfig"
)

// WorkspaceAPIKey is an API key of an Ory Network workspace (ory_wak_), made
// with the console API's WorkspaceAPI: the kind of key the provider itself
// authenticates with. It needs no adapter package: nothing about it differs
// from what the engine does for every key. A workspace key reaches only its
// own workspace, and Ory refuses the rest (403), so a ProviderConfig has no
// list of allowed workspaces; but a ProviderConfig limited to some projects
// (allowedProjectIDs) makes none: a workspace key would reach every project
// of the workspace.
var WorkspaceAPIKey = Kind{
	Name:   "WorkspaceAPIKey",
	Scopes: []schema.GroupVersionKind{namespacedv1alpha1.WorkspaceAPIKeyGroupVersionKind, clusterv1alpha1.WorkspaceAPIKeyGroupVersionKind},
	Parent: Parent{
		Noun:    "workspace",
		Field:   "workspaceID",
		Default: func(c *providerconfig.Config) string { return c.WorkspaceID },
		Allowed: func(c *providerconfig.Config, _ string) error {
			if len(c.AllowedProjectIDs) == 0 {
				return nil
			}
			return errors.Errorf("%s limits its keys to some projects (allowedProjectIDs), and a workspace API key would reach every project of the workspace: use a ProviderConfig without allowedProjectIDs for WorkspaceAPIKeys", c.Ref)
		},
	},
	ConnectionKeys: []string{common.ConnectionKeyValue, common.ConnectionKeyID, common.ConnectionKeyWorkspaceID},
	ValuePrefix:    "ory_wak_",
	Keys:           func(a Access) (KeyAPI, error) { return a.Conn.WorkspaceKeys(), nil },
}
