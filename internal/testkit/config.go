package testkit

import (
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
)

// Creds names where a ProviderConfig finds its workspace API key: data key
// Key of Secret Name in Namespace.
type Creds struct {
	Namespace, Name, Key string
}

// Secret returns the credentials Secret holding value.
func (c Creds) Secret(value string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: c.Namespace, Name: c.Name}, StringData: map[string]string{c.Key: value}}
}

// Credentials are the credentials of a cluster-scoped config.
func (c Creds) Credentials() *common.Credentials {
	return &common.Credentials{Source: xpv2.CredentialsSourceSecret, CommonCredentialSelectors: xpv2.CommonCredentialSelectors{
		SecretRef: &xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: c.Namespace, Name: c.Name}, Key: c.Key}}}
}

// Local are the credentials of a namespaced ProviderConfig (the Secret is
// in its namespace).
func (c Creds) Local() *common.LocalCredentials {
	return &common.LocalCredentials{Source: xpv2.CredentialsSourceSecret,
		SecretRef: xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: c.Name}, Key: c.Key}}
}

// Config is what a ProviderConfig of any kind says: its name, where its
// credentials are, and its console settings (common.ConsoleSettings).
type Config struct {
	Name              string
	Creds             Creds
	ProjectID         string
	WorkspaceID       string
	ConsoleURL        string
	AllowedProjectIDs []string
	RateLimit         *common.RateLimit
	// ProjectAPIURLTemplate is spec.projectAPIURLTemplate; "" leaves the
	// CRD's default, Ory Network's.
	ProjectAPIURLTemplate string
}

func (c Config) settings() common.ConsoleSettings {
	return common.ConsoleSettings{ProjectID: c.ProjectID, WorkspaceID: c.WorkspaceID, ConsoleURL: c.ConsoleURL,
		AllowedProjectIDs: c.AllowedProjectIDs, RateLimit: c.RateLimit, ProjectAPIURLTemplate: c.ProjectAPIURLTemplate}
}

// ClusterProviderConfig returns the config as a ClusterProviderConfig
// (ory.m.crossplane.io).
func (c Config) ClusterProviderConfig() *namespacedv1alpha1.ClusterProviderConfig {
	pc := &namespacedv1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: c.Name}}
	pc.Spec.Credentials = c.Creds.Credentials()
	pc.Spec.ConsoleSettings = c.settings()
	return pc
}

// LegacyProviderConfig returns the config as a cluster-scoped
// ProviderConfig (ory.crossplane.io).
func (c Config) LegacyProviderConfig() *clusterv1alpha1.ProviderConfig {
	pc := &clusterv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: c.Name}}
	pc.Spec.Credentials = c.Creds.Credentials()
	pc.Spec.ConsoleSettings = c.settings()
	return pc
}

// NamespacedProviderConfig returns the config as a ProviderConfig in ns
// (ory.m.crossplane.io); its credentials Secret is in ns too.
func (c Config) NamespacedProviderConfig(ns string) *namespacedv1alpha1.ProviderConfig {
	pc := &namespacedv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: c.Name}}
	pc.Spec.Credentials = c.Creds.Local()
	pc.Spec.ConsoleSettings = c.settings()
	return pc
}

// For returns the ProviderConfig a key of scope s in the test namespace ns
// uses, with credentials Secret c.Creds.Name in ns, and the name a key
// refers to it by (see UseConfig): a namespaced ProviderConfig in ns named
// c.Name, or a cluster-scoped ProviderConfig named <ns>-<c.Name>.
func (c Config) For(s Scope, ns string) (client.Object, string) {
	c.Creds.Namespace = ns
	if s == Namespaced {
		return c.NamespacedProviderConfig(ns), c.Name
	}
	c.Name = s.ObjectName(ns, c.Name)
	return c.LegacyProviderConfig(), c.Name
}
