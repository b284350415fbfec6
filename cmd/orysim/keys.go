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
	"strings"
	"text/tabwriter"
	"time"

	"github.com/crossplane-contrib/provider-ory/internal/console"
)

// keysUsage is the help of `orysim keys`.
const keysUsage = `Usage: orysim keys --url URL [--projects] [--project UUID...] [--workspace UUID...] [--workspace-key KEY]

Lists Ory projects and the API keys of projects and workspaces as Ory's
console API reports them. --projects (the default when no --project or
--workspace is named) lists the projects the workspace key sees: ID, slug,
name, state and creation time. --project and --workspace list one line per
key with its project (and slug) or workspace, ID, name, creation and expiry
times and last characters; a project Ory no longer answers for (purged,
or never of this workspace: Ory answers 403 for both) or deleted in the
console is a line that says so. Key values are never shown (Ory returns a
value only when it creates the key). It calls the API the provider calls
(listProjects, getProject, listProjectApiKeys, listWorkspaceApiKeys), so it
works against the simulator and against Ory Network (--url
https://api.console.ory.sh with a real workspace key).

Flags:
`

// keys lists the projects the workspace key sees (--projects, or no
// --project nor --workspace), then the keys of the --project projects and
// of the --workspace workspaces at --url on stdout, a table for each. It
// returns flag.ErrHelp after printing the help for -h, and an error naming
// the project or workspace when a call fails (a rejected workspace key, an
// unknown workspace), without any key value in it. A project Ory answers
// 403 for and does not list, or lists as deleted, is a line that says so,
// not an error: after a purge that is the expected answer.
func keys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("orysim keys", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, keysUsage)
		fs.PrintDefaults()
	}
	var (
		url          = fs.String("url", "", "console API URL: the simulator's (printed when it starts) or https://api.console.ory.sh")
		wsKey        = fs.String("workspace-key", os.Getenv(workspaceKeyEnv), "workspace API key (default $"+workspaceKeyEnv+")")
		listProjects = fs.Bool("projects", false, "list the projects the workspace key sees (the default without --project and --workspace)")
		projects     listFlag
		workspaces   listFlag
	)
	fs.Var(&projects, "project", "project UUID whose keys to list (repeatable)")
	fs.Var(&workspaces, "workspace", "workspace UUID whose keys to list (repeatable; the simulator prints its workspaces' IDs when it starts)")
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
	}

	c := console.New(*url, *wsKey, &http.Client{Timeout: 30 * time.Second}, "orysim-keys")
	// listed is the workspace's projects, listed once and only when needed.
	var listed []console.Project
	list := func() ([]console.Project, error) {
		if listed != nil {
			return listed, nil
		}
		ps, err := c.ListProjects(ctx)
		if err == nil {
			listed = ps
			if listed == nil {
				listed = []console.Project{}
			}
		}
		return ps, err
	}
	tables := 0
	table := func(header string) *tabwriter.Writer {
		if tables > 0 {
			fmt.Fprintln(stdout)
		}
		tables++
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, header)
		return tw
	}
	if *listProjects || len(projects) == 0 && len(workspaces) == 0 {
		ps, err := list()
		if err != nil {
			return err
		}
		tw := table("PROJECT\tSLUG\tNAME\tSTATE\tCREATED")
		printProjects(tw, ps)
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(projects) > 0 {
		tw := table("PROJECT\tSLUG\tKEY ID\tNAME\tCREATED\tEXPIRES\tLAST CHARACTERS")
		for _, id := range projects {
			if err := printProjectKeys(ctx, tw, c, id, list); err != nil {
				return err
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(workspaces) > 0 {
		tw := table("WORKSPACE\tKEY ID\tNAME\tCREATED\tEXPIRES\tLAST CHARACTERS")
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

// printProjects writes a line per project, oldest first; none gets a line
// that says so.
func printProjects(tw io.Writer, ps []console.Project) {
	slices.SortFunc(ps, func(a, b console.Project) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	if len(ps) == 0 {
		fmt.Fprintln(tw, "-\t-\t(no projects)\t\t")
	}
	for _, p := range ps {
		created := "-"
		if !p.CreatedAt.IsZero() {
			created = p.CreatedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.ID, orDash(p.Slug), p.Name, orDash(p.State), created)
	}
}

// Lines for a project whose keys Ory does not list.
const (
	projectGone    = "(project not found: purged, or not of this workspace; Ory answers 403 for both)"
	projectDeleted = "(project deleted in the console: Ory lists no keys of it)"
)

// printProjectKeys writes the lines of project id's keys. Ory answers 403
// for a project it does not know, purged ones included, and for one the key
// may not see (console.GetProject): a 403 for a project that list (the
// workspace's projects) does not hold is a line that says so, and so is a
// project deleted in the console, whose keys Ory does not list. Other
// errors are returned.
func printProjectKeys(ctx context.Context, tw io.Writer, c *console.Client, id string, list func() ([]console.Project, error)) error {
	p, err := c.GetProject(ctx, id)
	if err == nil {
		if p.State == console.ProjectDeleted {
			fmt.Fprintf(tw, "%s\t%s\t-\t%s\t\t\t\n", id, orDash(p.Slug), projectDeleted)
			return nil
		}
		ks, err := c.ListProjectKeys(ctx, id)
		if err != nil {
			return err
		}
		printKeys(tw, id+"\t"+p.Slug, ks)
		return nil
	}
	if console.ReasonOf(err) != console.ReasonForbidden {
		return err
	}
	ps, lerr := list()
	if lerr != nil {
		return err
	}
	switch i := slices.IndexFunc(ps, func(q console.Project) bool { return strings.EqualFold(q.ID, id) }); {
	case i < 0:
		fmt.Fprintf(tw, "%s\t-\t-\t%s\t\t\t\n", id, projectGone)
	case ps[i].State == console.ProjectDeleted:
		fmt.Fprintf(tw, "%s\t%s\t-\t%s\t\t\t\n", id, orDash(ps[i].Slug), projectDeleted)
	default:
		// Listed, not deleted, yet refused: Ory's answer says why.
		return err
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
