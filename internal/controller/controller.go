// Package controller registers all of provider-ory's controllers.
package controller

import (
	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/crossplane-contrib/provider-ory/internal/controller/config"
	"github.com/crossplane-contrib/provider-ory/internal/controller/projectapikey"
)

// Setup adds every controller of the provider to the manager: the
// ProviderConfig kinds and ProjectAPIKey in both scopes.
func Setup(mgr ctrl.Manager, o controller.Options) error {
	for _, setup := range []func(ctrl.Manager, controller.Options) error{
		config.Setup,
		projectapikey.SetupNamespaced,
		projectapikey.SetupCluster,
	} {
		if err := setup(mgr, o); err != nil {
			return err
		}
	}
	return nil
}
