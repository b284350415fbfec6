package v1alpha1

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// The annotations the provider keeps on an API key resource, besides the
// external name, and on its connection Secret: their names and formats.
// Tests and tools read them with the functions below rather than by hand.

// AnnotationRetiredKeys, on a key resource, lists the keys it replaced and
// that are still to be deleted in Ory, comma separated, each as
// <parent-id>/<key-id>, followed by @<RFC 3339 time> when a rotation overlap
// keeps it until then. It is written in the same patch as the new external
// name, so a replaced key is never forgotten.
const AnnotationRetiredKeys = "ory.crossplane.io/retired-keys"

// AnnotationCreating, on a key resource, marks a key the provider is asking
// Ory for: when, in which project or workspace, under which name (a JSON
// CreationMark).
// It is set before the create call, and the patch that records the new key
// removes it; found later, it means the create was interrupted, or its
// answer lost, and Ory may hold a key whose value was never stored (the
// engine's repair stage looks for it). On a Project it marks the project
// being created the same way, its Parent the workspace asked for ("" when
// Ory chooses); found later, the Project controller looks for that project
// and adopts it.
const AnnotationCreating = "ory.crossplane.io/creating"

// AnnotationRotating, on a resource whose secret Ory rotates in place (an
// OAuth2 client), holds in RFC 3339 when the provider began asking Ory for
// a new secret. It is set before the rotate call; the patch that records
// the rotation (the rotated secrets' end in AnnotationRetiredKeys) removes
// it. Found later, the rotation was interrupted: if the connection Secret
// holds a secret issued since, the rotation is recorded; otherwise the new
// secret may be lost and the provider rotates again. While it is there the
// provider never drops rotated secrets: the Secret may hold one of them.
const AnnotationRotating = "ory.crossplane.io/rotating"

// A RotationMark is the value of AnnotationRotating: when the rotation
// began, and how many rotate calls it made whose secret was not stored
// ("<RFC 3339 time>;<attempts>").
// +kubebuilder:object:generate=false
type RotationMark struct {
	Since    time.Time
	Attempts int
}

// String is the mark as AnnotationRotating holds it.
func (m RotationMark) String() string {
	return m.Since.UTC().Format(time.RFC3339Nano) + ";" + strconv.Itoa(m.Attempts)
}

// ParseRotationMark reads AnnotationRotating; a mangled part is zero (a
// zero Since counts every stored secret as newer).
func ParseRotationMark(v string) RotationMark {
	at, n, _ := strings.Cut(v, ";")
	var m RotationMark
	m.Since, _ = time.Parse(time.RFC3339Nano, at)
	m.Attempts, _ = strconv.Atoi(n)
	return m
}

// AnnotationPurging, on a Project being deleted, holds the ID of the
// project the provider is purging: it is written before the purge call.
// Ory answers a read of a purged project with 403, as it does for a project
// the workspace key may not see, so that answer proves nothing by itself;
// after this record it means the project is gone. (Should the purge have
// failed and the key lost access at once, the resource goes and the
// project stays in Ory: the safe side.)
const AnnotationPurging = "ory.crossplane.io/purging"

// AnnotationValueStoredIn, on a key resource, names the connection Secret
// (<namespace>/<name>) that the value of its current key was written to. It
// is written in the same patch as the key's ID, so the resource remembers
// that it had the value: a Secret deleted or emptied out of band is then
// told apart from an import whose value was never known, and a changed
// spec.writeConnectionSecretToRef tells where to move the value from.
const AnnotationValueStoredIn = "ory.crossplane.io/value-stored-in"

// A CreationMark is the content of AnnotationCreating: when the create was
// asked for (to the second), in which project or workspace (for a Project:
// in which workspace), under which name.
// +kubebuilder:object:generate=false
type CreationMark struct {
	Since  time.Time `json:"since"`
	Parent string    `json:"parent"`
	Name   string    `json:"name"`
}

const (
	// AnnotationValueOf names the key (<parent-id>/<key-id>) whose value the
	// Secret's "value" holds.
	AnnotationValueOf = "ory.crossplane.io/value-of"
	// AnnotationReplaces names the key that the key in AnnotationValueOf was
	// created to replace; empty for a key that replaced none.
	AnnotationReplaces = "ory.crossplane.io/replaces"
	// AnnotationTrigger holds spec.forProvider.rotation.trigger as it was
	// when the key in AnnotationValueOf was created: a different trigger in
	// the spec asks for a new key.
	AnnotationTrigger = "ory.crossplane.io/rotation-trigger"
	// AnnotationIssuedAt holds, in RFC 3339, when the secret the Secret
	// holds was stored, for kinds whose secret is rotated in place (an
	// OAuth2 client): a rotation lifetime counts from it. API keys carry
	// their expiry in Ory instead and have none.
	AnnotationIssuedAt = "ory.crossplane.io/issued-at"
	// AnnotationKeptFrom marks a connection Secret that the provider released
	// from its deleted key resource because the key was left in Ory.
	AnnotationKeptFrom = "ory.crossplane.io/kept-from"
)

// ParseCreationMark reads the value of AnnotationCreating. A mangled mark
// still reads (zero fields): it still asks for a look. Marks written before
// the provider had more than one kind name the parent "project".
func ParseCreationMark(v string) CreationMark {
	var m struct {
		CreationMark
		Project string `json:"project"`
	}
	_ = json.Unmarshal([]byte(v), &m)
	if m.Parent == "" {
		m.Parent = m.Project
	}
	return m.CreationMark
}

// String is the mark as AnnotationCreating holds it.
func (m CreationMark) String() string {
	b, _ := json.Marshal(m)
	return string(b)
}

// A RetiredKey is a replaced key waiting to be deleted, not before NotBefore
// (zero: at once); an element of AnnotationRetiredKeys.
// +kubebuilder:object:generate=false
type RetiredKey struct {
	Ref
	NotBefore time.Time
}

// String is the key as AnnotationRetiredKeys lists it.
func (r RetiredKey) String() string {
	if r.NotBefore.IsZero() {
		return r.Ref.String()
	}
	return r.Ref.String() + "@" + r.NotBefore.UTC().Format(time.RFC3339)
}

// ParseRetiredKeys reads the value of AnnotationRetiredKeys, skipping
// elements that name no key with its parent.
func ParseRetiredKeys(v string) []RetiredKey {
	var out []RetiredKey
	for _, s := range strings.Split(v, ",") {
		ref, at, _ := strings.Cut(strings.TrimSpace(s), "@")
		r, err := ParseRef(ref)
		if err != nil || r.IsZero() || r.Parent == "" {
			continue
		}
		k := RetiredKey{Ref: r}
		if t, err := time.Parse(time.RFC3339, at); err == nil {
			k.NotBefore = t
		}
		out = append(out, k)
	}
	return out
}

// FormatRetiredKeys is the value of AnnotationRetiredKeys for keys.
func FormatRetiredKeys(keys []RetiredKey) string {
	s := make([]string, 0, len(keys))
	for _, k := range keys {
		s = append(s, k.String())
	}
	return strings.Join(s, ",")
}
