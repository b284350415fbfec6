package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/crossplane-contrib/provider-ory/internal/console"
)

// keysUsage is the help of `orysim keys`.
const keysUsage = `Usage: orysim keys --url URL --project UUID [--project UUID...] [--workspace-key KEY]

Lists the API keys of Ory projects as Ory's console API reports them: one
line per key with its project, ID, name, creation and expiry times and last
characters. Key values are never shown (Ory returns a value only when it
creates the key). It calls the API the provider calls (listProjectApiKeys,
getProject), so it works against the simulator and against Ory Network
(--url https://api.console.ory.sh with a real workspace key).

Flags:
`

// keys lists the keys of the --project projects at --url on stdout. It
// returns flag.ErrHelp after printing the help for -h, and an error naming
// the project when a call fails (a rejected workspace key, an unknown
// project), without any key value in it.
func keys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("orysim keys", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, keysUsage)
		fs.PrintDefaults()
	}
	var (
		url      = fs.String("url", "", "console API URL: the simulator's (printed when it starts) or https://api.console.ory.sh")
		wsKey    = fs.String("workspace-key", os.Getenv(workspaceKeyEnv), "workspace API key (default $"+workspaceKeyEnv+")")
		projects listFlag
	)
	fs.Var(&projects, "project", "project UUID (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	case *url == "":
		return errors.New("--url is required: the console API the keys are listed from")
	case *wsKey == "":
		return errors.New("--workspace-key (or $" + workspaceKeyEnv + ") is required")
	case len(projects) == 0:
		return errors.New("--project is required: the console API lists keys per project")
	}

	c := console.New(*url, *wsKey, &http.Client{Timeout: 30 * time.Second}, "orysim-keys")
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROJECT\tSLUG\tKEY ID\tNAME\tCREATED\tEXPIRES\tLAST CHARACTERS")
	for _, p := range projects {
		slug, err := c.ProjectSlug(ctx, p)
		if err != nil {
			return err
		}
		ks, err := c.ListKeys(ctx, p)
		if err != nil {
			return err
		}
		// Oldest first, as a replacement follows the key it replaces.
		slices.SortFunc(ks, func(a, b console.Key) int {
			return cmp.Or(compareTimes(a.CreatedAt, b.CreatedAt), cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
		})
		if len(ks) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t-\t(no keys)\t\t\t\n", p, slug)
		}
		for _, k := range ks {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p, slug, k.ID, k.Name, timeOrDash(k.CreatedAt), timeOrDash(k.ExpiresAt), orDash(k.LastCharacters))
		}
	}
	return tw.Flush()
}

func compareTimes(a, b *time.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return a.Compare(*b)
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
