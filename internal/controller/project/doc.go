// Package project is the controller of the Project kind, both scopes: an Ory
// Network project as a managed resource (console API, ProjectAPI).
//
// A project is not an API key: Ory can change it in place (its name), it
// has no value-once secret, and deleting it purges every identity, session
// and OAuth2 client in it. So it has its own external client rather than a
// place in the value-once engine (internal/engine), and shares with the key
// kinds only what is the same: the ProviderConfig plumbing
// (providerconfig.Resolver, providerconfig.Watch), the pooled console
// connection (keyview.Views), the event filter (predicates), the metadata
// patches (metapatch: annotations, the finalizer) and the creation mark
// (common.AnnotationCreating).
//
// The rules, in the order a reconcile meets them:
//
//   - recovery (recover.go), an initializer that runs before Observe: a
//     create whose answer was lost, or that a crash interrupted, is looked
//     into. A project of the spec's name (and workspace), made since the
//     creation mark, that no Project resource of either scope names, is
//     adopted; several are refused for a person to choose; none lets the
//     create go on. A project is never purged by the recovery: it may
//     already hold users (docs/reliability.md).
//   - Observe (external.go) reads the project by its ID, the external name,
//     once the one-manager rule (manager.go) lets it: the oldest Project
//     resource naming a project manages it, and no deletion purges a
//     project another resource names.
//     A project Ory reports deleted, or answers 404 for, is gone; a 403 is
//     not proof of absence (Ory answers it for unknown projects too).
//   - Create marks the resource, then asks Ory; Update renames at the
//     observed revision (one retry after a 409); Delete purges only when
//     deletion protection is off, and once no ProjectAPIKey resource names
//     the project (keysfirst.go); the last of them going requeues the
//     Project at once (keywatch.go).
//   - decide.go holds the decisions as pure functions, table-tested;
//     requeue.go times the next reconcile at Ory's 429 reset, and at once
//     after the first purge, instead of the controller's backoff.
package project
