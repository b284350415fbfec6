// Package contract checks HTTP traffic against the OpenAPI document that
// ships inside github.com/ory/client-go.
//
// The simulator in internal/orysim is only useful if it answers the way
// api.console.ory.sh does. Ory publishes that contract as the OpenAPI
// document the Go client is generated from, so this package loads exactly
// that document (the copy in the client-go module the provider compiles
// against) and validates every request and response that passes through
// its middleware. A simulator bug then shows up as a violation in the test
// that triggered it, instead of as a provider that only works against the
// simulator.
package contract

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/uuid"
	ory "github.com/ory/client-go"
)

// ClientGoModule is the module whose bundled OpenAPI document is the contract.
const ClientGoModule = "github.com/ory/client-go"

// SpecPathEnv names an environment variable that, when set, overrides where
// the OpenAPI document is read from (for a binary run outside the module).
const SpecPathEnv = "ORYSIM_OPENAPI_SPEC"

// specInModule is where client-go keeps its OpenAPI document.
const specInModule = "api/openapi.yaml"

// ConsoleServer is the server URL the spec declares on every console
// operation. Operations that are not served there (the per-project APIs)
// are not something a console simulator may be asked for.
const ConsoleServer = "https://api.console.ory.sh"

// ProjectServer is the server URL the spec declares at the top level, for
// the operations of a project's own API (the OAuth2 clients, identities,
// ...): every operation without a server of its own.
const ProjectServer = "https://{project_slug}.projects.oryapis.com"

// Spec is a loaded, routable OpenAPI document. It is read-only after
// loading and safe to share between checkers and goroutines.
type Spec struct {
	// Path is the file the document was read from.
	Path string

	doc    *openapi3.T
	router routers.Router
}

var (
	specCacheMu sync.Mutex
	specCache   = map[string]*Spec{}
)

// LoadSpec reads and routes the OpenAPI document at path. Documents are
// cached per path because the Ory document is large (about 30k lines) and
// every test starts its own simulator.
func LoadSpec(path string) (*Spec, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", path, err)
	}

	specCacheMu.Lock()
	defer specCacheMu.Unlock()
	if s, ok := specCache[abs]; ok {
		return s, nil
	}

	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(abs)
	if err != nil {
		return nil, fmt.Errorf("loading OpenAPI document %s: %w", abs, err)
	}
	// The document declares https://{project_slug}.projects.oryapis.com at
	// the top level and https://api.console.ory.sh per operation. Routing
	// must match requests to whatever host the simulator listens on, so
	// route on paths alone; the console-only rule is enforced separately
	// (see Checker) using the per-operation servers, which stay untouched.
	doc.Servers = nil
	for _, item := range doc.Paths.Map() {
		item.Servers = nil
	}
	// doc.Validate is deliberately not called: the Ory document carries a few
	// examples that do not match their own schemas (for example
	// AdminRotateIssuedApiKeyBody), which says nothing about the operations
	// the simulator serves.
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("routing OpenAPI document %s: %w", abs, err)
	}
	s := &Spec{Path: abs, doc: doc, router: router}
	specCache[abs] = s
	return s, nil
}

// ClientGoSpec loads the OpenAPI document bundled with the client-go module
// this binary was built against. See FindClientGoSpec for how it is found.
func ClientGoSpec() (*Spec, error) {
	path, err := FindClientGoSpec()
	if err != nil {
		return nil, err
	}
	return LoadSpec(path)
}

// FindClientGoSpec returns the path of client-go's api/openapi.yaml.
//
// The document must be the one of the client-go version the provider is
// compiled with, so the lookup tries, in order:
//  1. $ORYSIM_OPENAPI_SPEC, for binaries run away from a module cache;
//  2. the client-go version recorded in the binary's build info, under
//     GOMODCACHE (set for `go build`/`go run` binaries, empty in test
//     binaries);
//  3. the version client-go reports in its default User-Agent
//     ("ory-client-go/vX.Y.Z"), under GOMODCACHE; this is compiled into
//     client-go itself so it also works in test binaries;
//  4. `go list -m -f {{.Dir}} github.com/ory/client-go`, which needs the go
//     command and a working directory inside the module.
func FindClientGoSpec() (string, error) {
	if p := os.Getenv(SpecPathEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", SpecPathEnv, p, err)
		}
		return p, nil
	}

	var tried []string
	for _, version := range []string{buildInfoVersion(), userAgentVersion()} {
		if version == "" {
			continue
		}
		p := filepath.Join(modCacheDir(), escapeModulePath(ClientGoModule)+"@"+version, specInModule)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		tried = append(tried, p)
	}

	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", ClientGoModule).Output()
	if err == nil {
		if dir := strings.TrimSpace(string(out)); dir != "" {
			p := filepath.Join(dir, specInModule)
			if _, statErr := os.Stat(p); statErr == nil {
				return p, nil
			}
			tried = append(tried, p)
		}
	} else {
		tried = append(tried, "go list -m "+ClientGoModule+": "+err.Error())
	}
	return "", fmt.Errorf("cannot find %s in %s (set %s): tried %s",
		specInModule, ClientGoModule, SpecPathEnv, strings.Join(tried, "; "))
}

// buildInfoVersion returns the client-go version (or its replacement's)
// recorded in the running binary, or "" when it is not recorded.
func buildInfoVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, dep := range bi.Deps {
		if dep.Path != ClientGoModule {
			continue
		}
		if r := dep.Replace; r != nil {
			// A directory replacement has no version and no cache entry;
			// leave it to `go list`.
			if r.Version == "" || r.Path != ClientGoModule {
				return ""
			}
			return r.Version
		}
		return dep.Version
	}
	return ""
}

// userAgentVersion extracts the version from client-go's generated default
// User-Agent, which the generator stamps with the package version.
func userAgentVersion() string {
	v, ok := strings.CutPrefix(ory.NewConfiguration().UserAgent, "ory-client-go/")
	if !ok || !strings.HasPrefix(v, "v") {
		return ""
	}
	return v
}

// modCacheDir mirrors the go command's default for GOMODCACHE.
func modCacheDir() string {
	if d := os.Getenv("GOMODCACHE"); d != "" {
		return d
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		return filepath.Join(filepath.SplitList(gp)[0], "pkg", "mod")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, "go", "pkg", "mod")
}

// escapeModulePath applies the module cache's case encoding: every upper
// case letter becomes '!' followed by its lower case form.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// errorSchema returns the spec's generic error schema, used to validate
// error bodies for statuses an operation does not declare.
func (s *Spec) errorSchema() (*openapi3.Schema, error) {
	if s.doc.Components == nil {
		return nil, errors.New("document has no components")
	}
	ref, ok := s.doc.Components.Schemas["errorGeneric"]
	if !ok || ref.Value == nil {
		return nil, errors.New("document has no errorGeneric schema")
	}
	return ref.Value, nil
}

// schemaOptions returns the format validators the checks run with.
//
// kin-openapi validates only date and date-time out of the box; "uuid" is
// what ids, owner_id and project_id are declared as, and a malformed id is
// exactly the kind of drift the check exists to catch. "uuid4" is used by
// Project.workspace_id.
func schemaOptions() []openapi3.SchemaValidationOption {
	return []openapi3.SchemaValidationOption{
		openapi3.WithStringFormatValidator("uuid", openapi3.NewCallbackValidator(func(v string) error {
			if _, err := uuid.Parse(v); err != nil || len(v) != 36 {
				return fmt.Errorf("not a UUID: %q", v)
			}
			return nil
		})),
		openapi3.WithStringFormatValidator("uuid4", openapi3.NewCallbackValidator(func(v string) error {
			id, err := uuid.Parse(v)
			if err != nil || len(v) != 36 || id.Version() != 4 {
				return fmt.Errorf("not a version 4 UUID: %q", v)
			}
			return nil
		})),
	}
}
