// Package projectapikey is the adapter of the ProjectAPIKey kind: what the
// value-once engine (internal/engine) cannot know of a project's keys. Where
// a key is used (its project's API URL, published in the connection Secret),
// and whether its project is gone. The kind itself is declared in config.
package projectapikey
