// Package controller registers all of provider-ory's controllers.
package controller

import (
	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/crossplane-contrib/provider-ory/internal/controller/config"
	"github.com/crossplane-contrib/provider-ory/internal/controller/projectapikey"
	"github.com/crossplane-contrib/provider-ory/internal/keyview"
)

// Setup adds every controller of the provider to the manager: the
// ProviderConfig kinds and ProjectAPIKey in both scopes. The ProjectAPIKey
// controllers of both scopes share one pool of Ory clients, configured by
// ory: one view of each project's keys and one rate limiter per workspace
// API key.
func Setup(mgr ctrl.Manager, o controller.Options, ory keyview.Options) error {
	if err := config.Setup(mgr, o); err != nil {
		return err
	}
	clients := keyview.NewClients(ory)
	if err := projectapikey.SetupNamespaced(mgr, o, clients); err != nil {
		return err
	}
	return projectapikey.SetupCluster(mgr, o, clients)
}
