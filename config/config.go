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

	"k8s.io/apimachinery/pkg/runtime/schema"

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
	// Keys returns the kind's keys on a pooled console connection.
	Keys func(*keyview.Connection) KeyAPI
	// Details returns the connection details a key of parent publishes
	// besides its value, ID and parent ID (a project's API URL); nil when
	// there are none. A detail that cannot be known now is left out: it must
	// not fail the reconcile.
	Details func(ctx context.Context, conn *keyview.Connection, cfg *providerconfig.Config, parent string) map[string][]byte
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

// Kinds are every managed kind of the provider, in the order their
// controllers are set up.
func Kinds() []Kind { return []Kind{ProjectAPIKey, WorkspaceAPIKey} }
