package config

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/controller/projectapikey"
	"github.com/crossplane-contrib/provider-ory/internal/providerconfig"
)

// ProjectAPIKey is an API key of an Ory Network project (ory_pat_), made
// with the console API's ProjectAPI. Its connection Secret also carries the
// project's API URL, where the key is used.
var ProjectAPIKey = Kind{
	Name:   "ProjectAPIKey",
	Scopes: []schema.GroupVersionKind{namespacedv1alpha1.ProjectAPIKeyGroupVersionKind, clusterv1alpha1.ProjectAPIKeyGroupVersionKind},
	Parent: Parent{
		Noun:    "project",
		Field:   "projectID",
		Default: func(c *providerconfig.Config) string { return c.ProjectID },
		Allowed: (*providerconfig.Config).CheckProject,
		Gone:    projectapikey.ProjectGone,
	},
	ConnectionKeys: []string{common.ConnectionKeyValue, common.ConnectionKeyID, common.ConnectionKeyProjectID, common.ConnectionKeyAPIURL},
	ValuePrefix:    "ory_pat_",
	Keys:           func(a Access) (KeyAPI, error) { return a.Conn.ProjectKeys(), nil },
	Details:        projectapikey.Details,
	Users:          projectapikey.Users,
}
