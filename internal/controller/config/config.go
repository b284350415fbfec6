// Package config reconciles the ProviderConfig kinds: it counts the
// ProjectAPIKeys using each one and keeps it from being deleted while in use.
package config

import (
	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/providerconfig"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
)

// Setup adds a controller for each ProviderConfig kind. Each counts the usage
// kind that the ProjectAPIKey controllers of its scope write: namespaced
// ProviderConfigUsages (labelled with the config's kind) for ProviderConfig
// and ClusterProviderConfig, cluster-scoped ones for the legacy ProviderConfig.
func Setup(mgr ctrl.Manager, o controller.Options) error {
	for _, k := range []struct {
		kinds  resource.ProviderConfigKinds
		config client.Object
		usage  client.Object
	}{
		{
			kinds: resource.ProviderConfigKinds{
				Config:    namespacedv1alpha1.ProviderConfigGroupVersionKind,
				Usage:     namespacedv1alpha1.ProviderConfigUsageGroupVersionKind,
				UsageList: namespacedv1alpha1.ProviderConfigUsageListGroupVersionKind,
			},
			config: &namespacedv1alpha1.ProviderConfig{}, usage: &namespacedv1alpha1.ProviderConfigUsage{},
		},
		{
			kinds: resource.ProviderConfigKinds{
				Config:    namespacedv1alpha1.ClusterProviderConfigGroupVersionKind,
				Usage:     namespacedv1alpha1.ProviderConfigUsageGroupVersionKind,
				UsageList: namespacedv1alpha1.ProviderConfigUsageListGroupVersionKind,
			},
			config: &namespacedv1alpha1.ClusterProviderConfig{}, usage: &namespacedv1alpha1.ProviderConfigUsage{},
		},
		{
			kinds: resource.ProviderConfigKinds{
				Config:    clusterv1alpha1.ProviderConfigGroupVersionKind,
				Usage:     clusterv1alpha1.ProviderConfigUsageGroupVersionKind,
				UsageList: clusterv1alpha1.ProviderConfigUsageListGroupVersionKind,
			},
			config: &clusterv1alpha1.ProviderConfig{}, usage: &clusterv1alpha1.ProviderConfigUsage{},
		},
	} {
		name := providerconfig.ControllerName(k.kinds.Config.GroupKind().String())
		r := providerconfig.NewReconciler(mgr, k.kinds,
			providerconfig.WithLogger(o.Logger.WithValues("controller", name)),
			providerconfig.WithRecorder(event.NewAPIRecorder(mgr.GetEventRecorderFor(name))))
		err := ctrl.NewControllerManagedBy(mgr).
			Named(name).
			WithOptions(o.ForControllerRuntime()).
			For(k.config).
			Watches(k.usage, &resource.EnqueueRequestForProviderConfig{Kind: k.kinds.Config.Kind}).
			Complete(ratelimiter.NewReconciler(name, r, o.GlobalRateLimiter))
		if err != nil {
			return err
		}
	}
	return nil
}
