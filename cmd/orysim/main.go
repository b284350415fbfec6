// Command orysim serves the in-memory Ory console API simulator
// (internal/orysim) on a local port, for trying the provider without an Ory
// Network account and for `make run`.
//
// Usage:
//
//	orysim --workspace-key ory_wak_dev --project my-project=5f0f7a1c-3b52-4c1e-9a57-6c4a3e0c7d11
//	orysim --config cmd/orysim/example.yaml --listen 127.0.0.1:4455 --error-rate 0.2
//	orysim keys --url http://127.0.0.1:4455 --workspace-key ory_wak_orysim_local --project 5f0f7a1c-3b52-4c1e-9a57-6c4a3e0c7d11
//	orysim keys --url http://127.0.0.1:4455 --workspace-key ory_wak_orysim_local --workspace 0c4f5b1e-7d2a-4e8b-9f36-2a1d5c7e9b40
//
// It prints the URL to point the provider at, then what it set up (names
// and ids only; key values are never printed). On SIGINT/SIGTERM it prints
// request counts and any contract violations and exits.
//
// `orysim keys` lists the keys of projects and workspaces through the
// console API, as tables, to see what the provider did on Ory's side (see
// keys.go).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/crossplane-contrib/provider-ory/internal/orysim"
)

// workspaceKeyEnv is read when --workspace-key is not given, so the key
// need not appear in the process list.
const workspaceKeyEnv = "ORYSIM_WORKSPACE_KEY"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		// -h already printed the usage.
	default:
		fmt.Fprintln(os.Stderr, "orysim:", err)
		stop()
		os.Exit(1)
	}
}

// serveUsage heads the help of orysim; the flags follow it.
const serveUsage = `Usage: orysim [flags]        serve the Ory console API simulator
       orysim keys --help   list the keys of projects and workspaces through the console API

Flags:
`

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// run is main without the process: it serves until ctx is done.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "keys" {
		return keys(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("orysim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, serveUsage)
		fs.PrintDefaults()
	}
	var (
		listen       = fs.String("listen", "127.0.0.1:0", "address to serve on; port 0 picks a free port")
		configPath   = fs.String("config", "", "YAML or JSON file with workspaces, projects, keys and faults")
		wsKey        = fs.String("workspace-key", os.Getenv(workspaceKeyEnv), "workspace API key of a workspace named \"default\" (default $"+workspaceKeyEnv+")")
		wsID         = fs.String("workspace-id", "", "UUID of the --workspace-key workspace (default: generated; printed at start)")
		projects     listFlag
		seed         = fs.Uint64("seed", orysim.DefaultSeed, "seed for the fault RNG")
		errorRate    = fs.Float64("error-rate", 0, "share (0..1) of requests answered with --error-status")
		errorStatus  = fs.String("error-status", "503", "comma separated statuses for --error-rate")
		latency      = fs.Duration("latency", 0, "delay before every answer")
		dropRate     = fs.Float64("drop-rate", 0, "share (0..1) of requests whose connection is closed without an answer")
		rateLimit    = fs.Float64("rate-limit", 0, "requests per second before answering 429 (0: off)")
		burst        = fs.Int("burst", 1, "token bucket size for --rate-limit")
		noRetryAfter = fs.Bool("omit-retry-after", false, "send only x-ratelimit-reset with 429s, like Ory does today")
		noContract   = fs.Bool("no-contract", false, "do not validate traffic against client-go's OpenAPI document")
		specPath     = fs.String("spec", "", "OpenAPI document to validate against (default: the one in the client-go module)")
		verbose      = fs.Bool("v", false, "log every request to stderr")
	)
	fs.Var(&projects, "project", "project of the --workspace-key workspace as SLUG or SLUG=UUID (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	var cfg config
	if *configPath != "" {
		var err error
		if cfg, err = loadConfig(*configPath); err != nil {
			return err
		}
	}
	if *wsKey != "" {
		ws := workspaceConfig{Name: "default", Key: *wsKey, ID: *wsID}
		for _, p := range projects {
			slug, id, _ := strings.Cut(p, "=")
			ws.Projects = append(ws.Projects, projectConfig{Slug: slug, ID: id})
		}
		cfg.Workspaces = append(cfg.Workspaces, ws)
	} else if len(projects) > 0 || *wsID != "" {
		return errors.New("--project and --workspace-id need --workspace-key")
	}
	if err := cfg.resolveKeys(); err != nil {
		return err
	}
	if err := mergeFaultFlags(&cfg.Faults, fs, *seed, *errorRate, *errorStatus, *latency, *dropRate,
		orysim.RateLimit{Rate: *rateLimit, Burst: *burst, OmitRetryAfter: *noRetryAfter}); err != nil {
		return err
	}

	opts := []orysim.Option{}
	if cfg.Faults.Seed != nil {
		opts = append(opts, orysim.WithSeed(*cfg.Faults.Seed))
	}
	if *noContract {
		opts = append(opts, orysim.WithoutContractCheck())
	}
	if *specPath != "" {
		opts = append(opts, orysim.WithSpecPath(*specPath))
	}
	if *verbose {
		opts = append(opts, orysim.WithRequestLogger(func(e orysim.LogEntry) {
			fault := ""
			if e.Fault != "" {
				fault = " (" + e.Fault + ")"
			}
			fmt.Fprintf(stderr, "%s %s %s -> %d%s\n", e.Time.Format(time.TimeOnly), e.Method, e.Path, e.Status, fault)
		}))
	}
	sim, err := orysim.New(opts...)
	if err != nil {
		return err
	}
	// Seed before listening so no request ever sees a half set up
	// simulator; the report is printed once the URL is known.
	var setup strings.Builder
	report := func(format string, a ...any) { fmt.Fprintf(&setup, format, a...) }
	if err := cfg.seed(sim, report); err != nil {
		return err
	}
	active, err := cfg.Faults.apply(sim)
	if err != nil {
		return err
	}
	if c := sim.Checker(); c != nil {
		report("contract check: on (%s)\n", c.Spec().Path)
	} else {
		report("contract check: off\n")
	}
	if len(active) == 0 {
		active = []string{"none"}
	}
	report("faults: %s\n", strings.Join(active, ", "))

	inst, err := sim.Listen(*listen)
	if err != nil {
		return err
	}
	defer func() { _ = inst.Close() }()
	fmt.Fprintf(stdout, "orysim serving the Ory console API at %s\n%s", inst.URL, setup.String())

	<-ctx.Done()
	if err := inst.Close(); err != nil {
		return err
	}
	for _, op := range orysim.Operations() {
		fmt.Fprintf(stdout, "%s: %d requests\n", op, sim.Requests(op))
	}
	for _, v := range sim.Violations() {
		fmt.Fprintln(stderr, "contract violation:", v)
	}
	return nil
}

// mergeFaultFlags lets fault flags that were set override the file.
func mergeFaultFlags(f *faultConfig, fs *flag.FlagSet, seed uint64, errorRate float64, errorStatus string,
	latency time.Duration, dropRate float64, limit orysim.RateLimit) error {
	var err error
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "seed":
			f.Seed = &seed
		case "error-rate":
			f.ErrorRate = errorRate
		case "error-status":
			f.ErrorStatuses = nil
			for _, s := range strings.Split(errorStatus, ",") {
				n, convErr := strconv.Atoi(strings.TrimSpace(s))
				if convErr != nil {
					err = fmt.Errorf("--error-status: %q is not a number", s)
					return
				}
				f.ErrorStatuses = append(f.ErrorStatuses, n)
			}
		case "latency":
			f.Latency = latency.String()
		case "drop-rate":
			f.DropRate = dropRate
		case "rate-limit":
			f.RateLimit.Rate = limit.Rate
		case "burst":
			f.RateLimit.Burst = limit.Burst
		case "omit-retry-after":
			f.RateLimit.OmitRetryAfter = limit.OmitRetryAfter
		}
	})
	if err == nil && f.ErrorRate > 0 && len(f.ErrorStatuses) == 0 {
		// The flag's default applies when only --error-rate was given.
		f.ErrorStatuses = []int{503}
	}
	return err
}
