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
const keysUsage = `Usage: orysim keys --url URL [--project UUID...] [--workspace UUID...] [--workspace-key KEY]

Lists the API keys of Ory projects and workspaces as Ory's console API
reports them: one line per key with its project (and slug) or workspace,
ID, name, creation and expiry times and last characters. Key values are
never shown (Ory returns a value only when it creates the key). It calls
the API the provider calls (listProjectApiKeys, getProject,
listWorkspaceApiKeys), so it works against the simulator and against Ory
Network (--url https://api.console.ory.sh with a real workspace key).

Flags:
`

// keys lists the keys of the --project projects and of the --workspace
// workspaces at --url on stdout, a table for each kind of holder. It
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
		url        = fs.String("url", "", "console API URL: the simulator's (printed when it starts) or https://api.console.ory.sh")
		wsKey      = fs.String("workspace-key", os.Getenv(workspaceKeyEnv), "workspace API key (default $"+workspaceKeyEnv+")")
		projects   listFlag
		workspaces listFlag
	)
	fs.Var(&projects, "project", "project UUID (repeatable)")
	fs.Var(&workspaces, "workspace", "workspace UUID (repeatable; the simulator prints its workspaces' IDs when it starts)")
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
	case len(projects) == 0 && len(workspaces) == 0:
		return errors.New("--project or --workspace is required: the console API lists keys per project or workspace")
	}

	c := console.New(*url, *wsKey, &http.Client{Timeout: 30 * time.Second}, "orysim-keys")
	if len(projects) > 0 {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PROJECT\tSLUG\tKEY ID\tNAME\tCREATED\tEXPIRES\tLAST CHARACTERS")
		for _, p := range projects {
			slug, err := c.ProjectSlug(ctx, p)
			if err != nil {
				return err
			}
			ks, err := c.ListProjectKeys(ctx, p)
			if err != nil {
				return err
			}
			printKeys(tw, p+"\t"+slug, ks)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(workspaces) > 0 {
		if len(projects) > 0 {
			fmt.Fprintln(stdout)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "WORKSPACE\tKEY ID\tNAME\tCREATED\tEXPIRES\tLAST CHARACTERS")
		for _, w := range workspaces {
			ks, err := c.ListWorkspaceKeys(ctx, w)
			if err != nil {
				return err
			}
			printKeys(tw, w, ks)
		}
		return tw.Flush()
	}
	return nil
}

// printKeys writes a line per key, oldest first, after the holder's
// columns; a holder without keys gets a line that says so.
func printKeys(tw io.Writer, holder string, ks []console.Key) {
	// Oldest first, as a replacement follows the key it replaces.
	slices.SortFunc(ks, func(a, b console.Key) int {
		return cmp.Or(compareTimes(a.CreatedAt, b.CreatedAt), cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	if len(ks) == 0 {
		fmt.Fprintf(tw, "%s\t-\t(no keys)\t\t\t\n", holder)
	}
	for _, k := range ks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", holder, k.ID, k.Name, timeOrDash(k.CreatedAt), timeOrDash(k.ExpiresAt), orDash(k.LastCharacters))
	}
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
