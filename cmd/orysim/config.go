package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// config is what the simulator is seeded with, from a YAML or JSON file
// and/or flags.
type config struct {
	Workspaces []workspaceConfig `json:"workspaces"`
	Faults     faultConfig       `json:"faults"`
}

// workspaceConfig is one workspace and the projects it owns. The key is
// given by the user and is never printed; name is what is printed instead.
type workspaceConfig struct {
	Name string `json:"name"`
	// ID fixes the workspace's UUID so examples can reference it (a
	// WorkspaceAPIKey names its workspace); empty means generate one.
	ID string `json:"id"`
	// Key is the workspace API key clients must send as bearer. It is one
	// of the workspace's API keys: listed, and deletable through the API.
	Key string `json:"key"`
	// KeyID fixes the UUID of Key as a workspace API key, to import it.
	KeyID string `json:"keyID"`
	// KeyEnv names an environment variable holding the key, to keep keys
	// out of files.
	KeyEnv   string          `json:"keyEnv"`
	Projects []projectConfig `json:"projects"`
	// Keys are further workspace API keys that exist before the simulator
	// starts, for trying out imports.
	Keys []seedKeyConfig `json:"keys"`
}

type projectConfig struct {
	Slug string `json:"slug"`
	// ID fixes the project's UUID so examples can reference it.
	ID   string `json:"id"`
	Name string `json:"name"`
	// Keys are project API keys that exist before the simulator starts,
	// for trying out imports.
	Keys []seedKeyConfig `json:"keys"`
}

type seedKeyConfig struct {
	// ID fixes the key's UUID so examples can import it; empty means
	// generate one.
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	ExpiresAt *time.Time `json:"expiresAt"`
	// WithoutLastCharacters makes the key look like one created before
	// Ory introduced last_characters.
	WithoutLastCharacters bool `json:"withoutLastCharacters"`
}

type faultConfig struct {
	Seed          *uint64          `json:"seed"`
	ErrorRate     float64          `json:"errorRate"`
	ErrorStatuses []int            `json:"errorStatuses"`
	Latency       string           `json:"latency"`
	DropRate      float64          `json:"dropRate"`
	RateLimit     orysim.RateLimit `json:"rateLimit"`
}

// loadConfig reads a YAML or JSON file (YAML is a superset of JSON).
func loadConfig(path string) (config, error) {
	var c config
	b, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	if err := yaml.UnmarshalStrict(b, &c); err != nil {
		return c, fmt.Errorf("parsing %s: %w", path, err)
	}
	return c, nil
}

// resolveKeys fills Key from KeyEnv and checks every workspace has a key.
func (c *config) resolveKeys() error {
	for i := range c.Workspaces {
		ws := &c.Workspaces[i]
		if ws.Name == "" {
			ws.Name = fmt.Sprintf("workspace-%d", i+1)
		}
		if ws.Key == "" && ws.KeyEnv != "" {
			ws.Key = os.Getenv(ws.KeyEnv)
			if ws.Key == "" {
				return fmt.Errorf("workspace %s: environment variable %s is empty", ws.Name, ws.KeyEnv)
			}
		}
		if ws.Key == "" {
			return fmt.Errorf("workspace %s: no key (set key or keyEnv)", ws.Name)
		}
		if strings.HasPrefix(ws.Key, orysim.ProjectKeyPrefix) {
			return fmt.Errorf("workspace %s: the key is a project API key (%s...); the console only accepts workspace keys", ws.Name, orysim.ProjectKeyPrefix)
		}
	}
	if len(c.Workspaces) == 0 {
		return errors.New("no workspace configured: give --workspace-key (or $" + workspaceKeyEnv + ") or a --config file")
	}
	return nil
}

// seed creates the configured workspaces, projects and keys, reporting
// what it did through report (which never receives key values).
func (c *config) seed(sim *orysim.Server, report func(format string, args ...any)) error {
	for _, wc := range c.Workspaces {
		ws, err := sim.CreateWorkspace(orysim.WorkspaceSpec{Key: wc.Key, ID: wc.ID, KeyID: wc.KeyID, KeyName: wc.Name})
		if err != nil {
			return fmt.Errorf("workspace %s: %w", wc.Name, err)
		}
		report("workspace %q id=%s, its key id=%s (value not shown)\n", wc.Name, ws.ID, ws.KeyID)
		for _, kc := range wc.Keys {
			if err := seedKey(sim, orysim.KeySpec{Workspace: ws.ID}, kc, "  workspace ", report); err != nil {
				return fmt.Errorf("workspace %s: %w", wc.Name, err)
			}
		}
		for _, pc := range wc.Projects {
			p, err := sim.CreateProject(orysim.ProjectSpec{WorkspaceKey: wc.Key, Slug: pc.Slug, ID: pc.ID, Name: pc.Name})
			if err != nil {
				return fmt.Errorf("workspace %s: project %q: %w", wc.Name, pc.Slug, err)
			}
			report("  project %q id=%s\n", p.Slug, p.ID)
			for _, kc := range pc.Keys {
				if err := seedKey(sim, orysim.KeySpec{Project: p.ID}, kc, "    ", report); err != nil {
					return fmt.Errorf("workspace %s: project %q: %w", wc.Name, pc.Slug, err)
				}
			}
		}
	}
	return nil
}

// seedKey stores the key kc in the holder that spec names and reports it,
// after indent, by name and ID.
func seedKey(sim *orysim.Server, spec orysim.KeySpec, kc seedKeyConfig, indent string, report func(format string, args ...any)) error {
	spec.ID, spec.Name, spec.ExpiresAt, spec.WithoutLastCharacters = kc.ID, kc.Name, kc.ExpiresAt, kc.WithoutLastCharacters
	k, err := sim.CreateKey(spec)
	if err != nil {
		return fmt.Errorf("key %q: %w", kc.Name, err)
	}
	report("%skey %q id=%s (value not shown)\n", indent, k.Name, k.ID)
	return nil
}

// apply installs the configured faults and describes them.
func (f faultConfig) apply(sim *orysim.Server) ([]string, error) {
	var active []string
	if f.ErrorRate > 0 {
		statuses := f.ErrorStatuses
		if len(statuses) == 0 {
			statuses = []int{503}
		}
		for _, s := range statuses {
			if s < 400 || s > 599 {
				return nil, fmt.Errorf("error status %d is not an HTTP error status", s)
			}
		}
		sim.SetErrorRate(orysim.AllOperations, f.ErrorRate, statuses...)
		active = append(active, fmt.Sprintf("error rate %.0f%% %v", f.ErrorRate*100, statuses))
	}
	if f.Latency != "" {
		d, err := time.ParseDuration(f.Latency)
		if err != nil {
			return nil, fmt.Errorf("latency: %w", err)
		}
		sim.SetLatency(orysim.AllOperations, d)
		if d > 0 {
			active = append(active, "latency "+d.String())
		}
	}
	if f.DropRate > 0 {
		sim.SetDropRate(orysim.AllOperations, f.DropRate)
		active = append(active, fmt.Sprintf("drop rate %.0f%%", f.DropRate*100))
	}
	if f.RateLimit.Rate > 0 {
		sim.SetRateLimit(f.RateLimit)
		active = append(active, fmt.Sprintf("rate limit %g/s burst %d", f.RateLimit.Rate, max(f.RateLimit.Burst, 1)))
	}
	return active, nil
}
