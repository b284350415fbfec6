// Package config is provider-ory's catalogue of managed kinds. Each kind
// whose secret Ory returns once is declared here by one Kind value: its
// name and scopes, the project or workspace that holds its keys, the keys of
// its connection Secret, and the adapter functions for what differs between
// kinds. The engine (internal/engine) reads nothing else about a kind, and
// internal/controller sets up one controller per kind and scope from Kinds.
//
// The formats the kinds share (external names, the annotations the provider
// keeps, connection Secret keys, condition types and reasons) are part of the
// API and live in apis/common/v1alpha1.
package config

import (
	"context"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/console"
	"github.com/crossplane-contrib/provider-ory/internal/keyview"
	"github.com/crossplane-contrib/provider-ory/internal/providerconfig"
)

// A Kind declares one managed kind whose secret Ory returns once.
type Kind struct {
	// Name is the kind, as in its CRD: "ProjectAPIKey".
	Name string
	// Scopes are the kind's GroupVersionKinds, namespaced
	// (ory.m.crossplane.io) and cluster-scoped (ory.crossplane.io). Each
	// type implements the engine's Resource interface.
	Scopes []schema.GroupVersionKind
	// Parent is the project or workspace that holds the kind's keys.
	Parent Parent
	// ConnectionKeys are all keys the kind's connection Secret may hold, in
	// the order the README lists them: the value first.
	ConnectionKeys []string
	// ValuePrefix starts every value Ory issues for the kind (ory_pat_): an
	// imported value without it is refused.
	ValuePrefix string
	// Secret names the secret in messages, "" for "key's value": "OAuth2
	// client's secret".
	Secret string
	// InPlace says that Ory changes the kind's objects in place and rotates
	// their secret natively: its Keys return an InPlaceAPI.
	InPlace bool
	// ProjectCredentials says that the kind's resources reach Ory with the
	// ProviderConfig's spec.projectCredentials (a project API key, on the
	// project's own API), not its workspace API key.
	ProjectCredentials bool
	// ValueKey and IDKey are the connection Secret's keys of the secret
	// value and of the ID; "" means common.ConnectionKeyValue ("value")
	// and common.ConnectionKeyID ("keyID").
	ValueKey, IDKey string
	// Keys returns the kind's keys (or objects with a secret) as one
	// resource, in one reconcile, reaches them. An error says what keeps
	// the resource from reaching them (a ProviderConfig without the
	// credentials the kind needs) in words a person can act on.
	Keys func(Access) (KeyAPI, error)
	// Details returns the connection details a key of parent publishes
	// besides its value, ID and parent ID (a project's API URL); nil when
	// there are none. A detail that cannot be known now is left out: it must
	// not fail the reconcile.
	Details func(ctx context.Context, conn *keyview.Connection, cfg *providerconfig.Config, parent string) map[string][]byte
	// Users names, in words for a condition, the resources that still reach
	// Ory with the key a resource keeps in its connection Secret secret
	// (OAuth2Clients on a ProviderConfig whose projectCredentials name
	// it), "" when none do. The engine deletes a deleted resource's key
	// only once none do: deleted first, it would leave them unable to
	// delete their own objects in Ory. Nil: nothing uses the kind's keys
	// that way.
	Users func(ctx context.Context, kube client.Reader, secret types.NamespacedName) (string, error)
}

// Parent describes what holds a kind's keys.
type Parent struct {
	// Noun names it in messages: "project".
	Noun string
	// Field is its ID's field in spec.forProvider and status.atProvider, and
	// its key in the connection Secret: "projectID".
	Field string
	// Default returns the ProviderConfig's default parent ("" if none).
	Default func(*providerconfig.Config) string
	// Allowed returns an error that says what to do when the ProviderConfig
	// may not manage keys in parent; nil when it may. Nil: every parent is.
	Allowed func(cfg *providerconfig.Config, parent string) error
	// Gone says, after a key operation in parent failed with cause, whether
	// Ory shows the parent gone, and how, in words ("" when it does not, or
	// cannot tell). Nil: the kind never asks.
	Gone func(ctx context.Context, conn *keyview.Connection, parent string, cause error) string
}

// ConnectionValueKey is the connection Secret's key of the secret value.
func (k Kind) ConnectionValueKey() string {
	if k.ValueKey == "" {
		return common.ConnectionKeyValue
	}
	return k.ValueKey
}

// SecretWords name the kind's secret in messages: "key's value".
func (k Kind) SecretWords() string {
	if k.Secret == "" {
		return "key's value"
	}
	return k.Secret
}

// ConnectionIDKey is the connection Secret's key of the ID.
func (k Kind) ConnectionIDKey() string {
	if k.IDKey == "" {
		return common.ConnectionKeyID
	}
	return k.IDKey
}

// Access is what an adapter may use to reach Ory for one resource in one
// reconcile.
type Access struct {
	// Conn is the pooled console connection of the ProviderConfig's
	// workspace API key.
	Conn *keyview.Connection
	// Views pools every connection, the project APIs' too.
	Views *keyview.Views
	// Config is the resolved ProviderConfig.
	Config *providerconfig.Config
	// Resource is the managed resource being reconciled.
	Resource resource.Managed
}

// KeyAPI is what the engine needs of the console for a kind's keys: the
// shared view of each parent's keys (keyview.Client).
type KeyAPI interface {
	// FindKey returns a key, or nil once a list made after the call began
	// shows it absent: it may answer presence from a shared, recent view of
	// the parent, never absence.
	FindKey(ctx context.Context, parent, keyID string) (*console.Key, error)
	// ListKeys lists every key of parent, never from a cache.
	ListKeys(ctx context.Context, parent string) ([]console.Key, error)
	// CreateKey creates a key and returns it with its value.
	CreateKey(ctx context.Context, parent, name string, expiresAt *time.Time) (console.Key, error)
	// DeleteKey deletes a key; one already gone counts as deleted.
	DeleteKey(ctx context.Context, parent, keyID string) error
}

// An InPlaceAPI is the KeyAPI of a kind whose objects Ory changes in place
// and whose secret it rotates natively, keeping the old secret valid until
// asked to drop it: an OAuth2 client. The engine then never replaces such
// an object: a changed spec is applied in place, and a rotation (due,
// triggered, or restoring a lost secret) is a new secret for the same
// object, the old one dropped after the overlap. For API keys, which Ory
// cannot change, any change replaces the key.
//
// The console.Key values it returns carry the kind's full object in Object.
type InPlaceAPI interface {
	KeyAPI
	// Differs names the first of the resource's settings (the Access's
	// Resource) that obj, as FindKey returned it, lacks; "" when none.
	Differs(obj *console.Key) string
	// Apply changes obj in place to the resource's settings and returns it
	// as Ory then reports it. Its secret stays as it is.
	Apply(ctx context.Context, obj *console.Key) (*console.Key, error)
	// RotateSecret gives the object a new secret and returns the object
	// with it in Value. Ory keeps accepting the old secret until
	// DeleteRotatedSecrets. After an error for which console.MayHaveCreated
	// is true a new secret may exist that nobody has: the old one still
	// works, and rotating again makes the lost one a rotated secret too.
	RotateSecret(ctx context.Context, parent, id string) (console.Key, error)
	// DeleteRotatedSecrets ends every secret of the object but the current
	// one; an object already gone counts as done.
	DeleteRotatedSecrets(ctx context.Context, parent, id string) error
	// HasSecret says whether obj, as Ory reports it, has a secret Ory can
	// rotate (a public OAuth2 client has none).
	HasSecret(obj *console.Key) bool
	// Observe sets the resource's kind-specific status.atProvider fields
	// from obj.
	Observe(obj *console.Key)
}

// Kinds are every managed kind of the provider, in the order their
// controllers are set up.
func Kinds() []Kind { return []Kind{ProjectAPIKey, WorkspaceAPIKey, OAuth2Client} }
