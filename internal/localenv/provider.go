package localenv

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// VersionVariable is the variable `go build -ldflags -X` stamps the provider's
// version into; the Makefile's build target stamps the same one.
const VersionVariable = "github.com/crossplane-contrib/provider-ory/internal/version.Version"

// StopTimeout is how long Provider.Stop waits after SIGTERM before SIGKILL.
const StopTimeout = 30 * time.Second

var builds sync.Map // root + "\x00" + version -> path of a binary built by this process

// BuildProvider builds ./cmd/provider of root into outDir/provider, stamped
// with version, the way `make build` does (static, -trimpath), and returns
// its path. Within one process each (root, version) is built only once.
func BuildProvider(ctx context.Context, root, outDir, version string) (string, error) {
	key := root + "\x00" + version
	if p, ok := builds.Load(key); ok {
		if _, err := os.Stat(p.(string)); err == nil {
			return p.(string), nil
		}
	}
	out, err := filepath.Abs(filepath.Join(outDir, "provider"))
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath",
		"-ldflags", "-s -w -X "+VersionVariable+"="+version,
		"-o", out, "./cmd/provider")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("cannot build the provider: %w\n%s", err, b)
	}
	builds.Store(key, out)
	return out, nil
}

// BinaryVersion returns what `<binary> --version` prints.
func BinaryVersion(ctx context.Context, binary string) (string, error) {
	b, err := exec.CommandContext(ctx, binary, "--version").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w\n%s", binary, err, b)
	}
	return strings.TrimSpace(string(b)), nil
}

// ProviderOptions configure a provider process.
type ProviderOptions struct {
	// Binary is the provider binary, e.g. from BuildProvider or `make build`.
	Binary string
	// Args are flags of the provider (see `provider --help`), such as
	// --debug or --poll=10s. Unless they set them, --metrics-bind-address
	// and --health-probe-bind-address are 0 (off), so that several
	// providers, or a provider beside other programs, never fight over ports.
	Args []string
	// Env is added to the environment the provider inherits; KUBECONFIG is
	// set to the Env's kubeconfig.
	Env []string
	// Log is the file the provider's output is appended to, across restarts.
	// Empty means provider.log (provider-2.log, ...) in the work folder.
	Log string
}

// Provider is a provider process that can be started, stopped, killed and
// started again. Its methods are safe for concurrent use.
type Provider struct {
	opts ProviderOptions
	env  *Env

	mu     sync.Mutex
	proc   *process // the current or last run; nil before Start
	starts int
}

// NewProvider returns a provider process of this Env, not yet started. Close
// stops it.
func (e *Env) NewProvider(o ProviderOptions) *Provider {
	e.mu.Lock()
	defer e.mu.Unlock()
	if o.Log == "" {
		name := "provider.log"
		if n := len(e.providers); n > 0 {
			name = fmt.Sprintf("provider-%d.log", n+1)
		}
		o.Log = filepath.Join(e.Dir, name)
	}
	for _, f := range []string{"--metrics-bind-address", "--health-probe-bind-address"} {
		if !hasFlag(o.Args, f) {
			o.Args = append(o.Args, f+"=0")
		}
	}
	p := &Provider{opts: o, env: e}
	e.providers = append(e.providers, p)
	return p
}

func hasFlag(args []string, flag string) bool {
	for _, a := range args {
		if a == flag || strings.HasPrefix(a, flag+"=") {
			return true
		}
	}
	return false
}

// Start starts the provider, which must not be running. It may be called
// again after Stop or Kill, or after the process died, to restart it.
func (p *Provider) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc != nil && !p.proc.exited() {
		return fmt.Errorf("the provider is already running (pid %d)", p.proc.cmd.Process.Pid)
	}
	if p.opts.Binary == "" {
		return errors.New("ProviderOptions.Binary is empty: build the provider first (BuildProvider or `make build`)")
	}
	env := append([]string{"KUBECONFIG=" + p.env.Kubeconfig}, p.opts.Env...)
	proc, err := startProcess("provider", p.opts.Binary, p.opts.Args, env, p.opts.Log, p.env.kids)
	if err != nil {
		return err
	}
	p.proc = proc
	p.starts++
	return nil
}

func (p *Provider) current() *process {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.proc
}

// Stop sends SIGTERM and waits up to StopTimeout for the provider to exit,
// then kills it. It returns an error when the provider did not exit cleanly
// (status 0) on SIGTERM. Stopping a provider that is not running does
// nothing.
func (p *Provider) Stop() error {
	if proc := p.current(); proc != nil {
		return proc.stop(StopTimeout)
	}
	return nil
}

// Kill sends SIGKILL, as a crash would, and waits until the process is gone.
func (p *Provider) Kill() {
	if proc := p.current(); proc != nil {
		proc.kill()
	}
}

// Pid returns the PID of the current or last run, 0 before Start.
func (p *Provider) Pid() int {
	if proc := p.current(); proc != nil {
		return proc.cmd.Process.Pid
	}
	return 0
}

// Running reports whether the provider process is alive.
func (p *Provider) Running() bool {
	proc := p.current()
	return proc != nil && !proc.exited()
}

// Exited is closed when the current run ends (nil before Start).
func (p *Provider) Exited() <-chan struct{} {
	if proc := p.current(); proc != nil {
		return proc.done
	}
	return nil
}

// ExitError is why the last run ended: nil while running or after a clean
// exit.
func (p *Provider) ExitError() error {
	proc := p.current()
	if proc == nil || !proc.exited() {
		return nil
	}
	return proc.exitError()
}

// Starts returns how many times Start succeeded.
func (p *Provider) Starts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.starts
}

// Args returns the flags the provider runs with: ProviderOptions.Args and
// the defaults NewProvider added, in the order they are passed.
func (p *Provider) Args() []string { return slices.Clone(p.opts.Args) }

// LogPath is the file the provider's output goes to.
func (p *Provider) LogPath() string { return p.opts.Log }

// PeakRSS returns the peak resident set size in bytes of the current run:
// VmHWM of /proc/<pid>/status while it runs, the kernel's maxrss once it
// has exited.
func (p *Provider) PeakRSS() (uint64, error) {
	proc := p.current()
	if proc == nil {
		return 0, errors.New("the provider has not been started")
	}
	if !proc.exited() {
		v, err := PeakRSS(proc.cmd.Process.Pid)
		if err == nil || !proc.exited() {
			return v, err
		}
		// It exited while being read: fall through to its rusage.
	}
	if ru, ok := proc.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		return uint64(ru.Maxrss) * 1024, nil // Linux reports kilobytes
	}
	return 0, errors.New("no resource usage for the provider's last run")
}

// PeakRSS returns VmHWM, the peak resident set size in bytes, of a live
// process.
func PeakRSS(pid int) (uint64, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, err
	}
	s := bufio.NewScanner(bytes.NewReader(b))
	for s.Scan() {
		name, value, ok := strings.Cut(s.Text(), ":")
		if !ok || name != "VmHWM" {
			continue
		}
		f := strings.Fields(value) // "123456 kB"
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("unexpected VmHWM line %q", s.Text())
		}
		kb, err := strconv.ParseUint(f[0], 10, 64)
		return kb * 1024, err
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status (a kernel thread or a zombie?)", pid)
}
