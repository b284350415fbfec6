// Package oauth2client is the OAuth2Client kind's adapter to the value-once
// engine (internal/engine): an OAuth 2.0 client of an Ory Network project,
// on the project's own API (internal/projectapi), reached with a project
// API key from the ProviderConfig's projectCredentials.
//
// A client is more than a key: Ory changes it in place and rotates its
// secret natively (config.InPlaceAPI), so Clients maps it to the engine's
// console.Key (ID, name, creation time, secret, the whole client in
// Object), turns spec.forProvider into Ory's model (Model), finds what of
// the spec a client lacks (Differs) and applies it with a JSON Patch of
// exactly those fields (Apply). Everything else, the write-ahead of the
// secret, the repair of an interrupted create or rotation, moved and lost
// Secrets, import, is the engine's.
package oauth2client
