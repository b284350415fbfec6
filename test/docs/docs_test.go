// Package docs checks that the commands the README and the example READMEs
// show still exist: every make target they name is a target of the
// Makefile, and every flag they give a binary of this repository (the
// provider, localrun through `make run ARGS=...`, orysim and `orysim keys`)
// is in that binary's --help. It runs no command itself, so it is quick; the
// commands that need a cluster (kubectl, curl) are left alone.
package docs

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// root is the repository root, seen from this package.
var root = filepath.Join("..", "..")

// documents are the Markdown files a new user follows.
var documents = []string{"README.md", "examples/README.md", "examples/composition/README.md"}

// A command is one command line a document shows.
type command struct {
	doc  string // file:line
	args []string
}

// A binary is a command of this repository whose --help lists its flags.
type binary struct {
	pkg string // ./cmd/...
	sub string // subcommand, if any
}

var (
	provider = binary{pkg: "./cmd/provider"}
	localrun = binary{pkg: "./cmd/localrun"}
	orysim   = binary{pkg: "./cmd/orysim"}
	orykeys  = binary{pkg: "./cmd/orysim", sub: "keys"}
)

func TestDocumentedCommandsExist(t *testing.T) {
	targets := makeTargets(t)
	var cmds []command
	for _, d := range documents {
		cmds = append(cmds, commands(t, d)...)
	}
	if len(cmds) < 10 {
		t.Fatalf("found only %d commands in %v: the extraction is broken", len(cmds), documents)
	}

	flags := map[binary]map[string]bool{}
	helpOf := func(b binary) map[string]bool {
		if f, ok := flags[b]; ok {
			return f
		}
		flags[b] = helpFlags(t, b)
		return flags[b]
	}
	checked := 0
	for _, c := range cmds {
		for b, fl := range flagUses(t, c, targets) {
			known := helpOf(b)
			for _, f := range fl {
				checked++
				if !known[f] {
					t.Errorf("%s: `%s` gives %s the flag --%s, which its --help does not list", c.doc, strings.Join(c.args, " "), name(b), f)
				}
			}
		}
	}
	t.Logf("%d commands, %d flags checked against %d binaries' --help", len(cmds), checked, len(flags))
}

func name(b binary) string {
	return strings.TrimSpace(filepath.Base(b.pkg) + " " + b.sub)
}

// flagUses returns the flags a command gives to binaries of this repository
// and fails for a make target that does not exist.
func flagUses(t *testing.T, c command, targets map[string]bool) map[binary][]string {
	t.Helper()
	out := map[binary][]string{}
	args := c.args
	// Leading VAR=value assignments (KUBECONFIG=...) belong to the shell.
	for len(args) > 0 && regexp.MustCompile(`^[A-Z_]+=`).MatchString(args[0]) {
		args = args[1:]
	}
	if len(args) == 0 {
		return out
	}
	switch {
	case args[0] == "make":
		for _, a := range args[1:] {
			if v, ok := strings.CutPrefix(a, "ARGS="); ok {
				// make run hands ARGS to localrun; after -- they are the provider's.
				lr, pr, _ := strings.Cut(" "+v+" ", " -- ")
				out[localrun] = append(out[localrun], flagNames(strings.Fields(lr))...)
				out[provider] = append(out[provider], flagNames(strings.Fields(pr))...)
				continue
			}
			if strings.Contains(a, "=") || strings.HasPrefix(a, "-") {
				continue // a make variable such as N=200
			}
			if !targets[a] {
				t.Errorf("%s: `%s` names make target %q, which the Makefile does not define", c.doc, strings.Join(c.args, " "), a)
			}
		}
	case args[0] == "go" && len(args) > 2 && args[1] == "run":
		b := binary{pkg: args[2]}
		rest := args[3:]
		if b.pkg == orysim.pkg && len(rest) > 0 && rest[0] == "keys" {
			b, rest = orykeys, rest[1:]
		}
		if !slices.Contains([]binary{provider, localrun, orysim, orykeys}, b) {
			t.Errorf("%s: `go run %s`: not a command this test knows (add it to the binaries)", c.doc, b.pkg)
			return out
		}
		out[b] = flagNames(rest)
	case strings.HasSuffix(args[0], "_output/bin/provider"):
		out[provider] = flagNames(args[1:])
	case strings.HasSuffix(args[0], "_output/bin/orysim"):
		out[orysim] = flagNames(args[1:])
	}
	return out
}

// flagNames returns the names of the flags among args ("--poll=1m" ->
// "poll"); "--" ends them, placeholders ("...") are skipped.
func flagNames(args []string) []string {
	var out []string
	for _, a := range args {
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			continue
		}
		n, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		out = append(out, n)
	}
	return out
}

// helpFlags builds a binary and returns the flags its --help lists, with
// --no-X for kingpin's --[no-]X booleans.
func helpFlags(t *testing.T, b binary) map[string]bool {
	t.Helper()
	bin := filepath.Join(t.TempDir(), filepath.Base(b.pkg))
	build := exec.Command("go", "build", "-o", bin, b.pkg)
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", b.pkg, err, out)
	}
	// Go's flag package exits 0 for -h after printing to stderr; kingpin
	// prints --help to stdout. Either may exit non-zero: only the text counts.
	args := []string{"--help"}
	if b.sub != "" {
		args = []string{b.sub, "--help"}
	}
	out, _ := exec.Command(bin, args...).CombinedOutput()
	flags := map[string]bool{"help": true, "h": true}
	re := regexp.MustCompile(`(?m)^\s+(?:-[a-z], )?--?(\[no-\])?([a-z0-9][a-z0-9-]*)`)
	for _, m := range re.FindAllStringSubmatch(string(out), -1) {
		flags[m[2]] = true
		if m[1] != "" {
			flags["no-"+m[2]] = true
		}
	}
	if len(flags) < 4 {
		t.Fatalf("%s --help lists %d flags; the parser is broken:\n%s", name(b), len(flags), out)
	}
	return flags
}

// makeTargets returns the targets the Makefile defines.
func makeTargets(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]bool{}
	// "a b: deps" defines a and b; ":=" and "?=" are assignments; recipe
	// lines start with a tab.
	re := regexp.MustCompile(`(?m)^([a-z0-9][a-z0-9 _.-]*):([^=]|$)`)
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		for _, n := range strings.Fields(m[1]) {
			targets[n] = true
		}
	}
	for _, want := range []string{"run", "test", "e2e", "build", "help"} {
		if !targets[want] {
			t.Fatalf("Makefile targets %v lack %q: the parser is broken", targets, want)
		}
	}
	return targets
}

// commands returns the commands a document shows: each line of its ```sh
// blocks (continuations joined, comments cut), each inline code span that
// starts with `make `, `go run ` or `ARGS=`, and the flags of the README's
// table of provider flags.
func commands(t *testing.T, doc string) []command {
	t.Helper()
	f, err := os.Open(filepath.Join(root, doc))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() //nolint:errcheck // read only
	var (
		out      []command
		inSh     bool
		inOther  bool
		pending  string
		startsAt int
	)
	var (
		inline   = regexp.MustCompile("`((?:make|go run) [^`]+)`")
		argsSpan = regexp.MustCompile("`(ARGS=[^`]+)`")
		flagSpan = regexp.MustCompile("`(--[a-z0-9-]+)`")
	)
	add := func(line int, text string) {
		args, err := split(text)
		if err != nil {
			t.Errorf("%s:%d: %v", doc, line, err)
			return
		}
		if len(args) > 0 {
			out = append(out, command{doc: fmt.Sprintf("%s:%d", doc, line), args: args})
		}
	}
	s := bufio.NewScanner(f)
	for n := 1; s.Scan(); n++ {
		line := s.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "```") && !inSh && !inOther:
			inSh = trimmed == "```sh"
			inOther = !inSh
			continue
		case strings.HasPrefix(trimmed, "```"):
			inSh, inOther = false, false
			continue
		}
		if inOther {
			continue
		}
		if !inSh {
			for _, m := range inline.FindAllStringSubmatch(line, -1) {
				add(n, m[1])
			}
			// `ARGS=--debug`: what `make run` hands localrun.
			for _, m := range argsSpan.FindAllStringSubmatch(line, -1) {
				add(n, "make run "+m[1])
			}
			// The provider's flag table: | `--poll` | 1m | ... |
			if doc == "README.md" && strings.HasPrefix(line, "| `--") {
				cell, _, _ := strings.Cut(strings.TrimPrefix(line, "|"), "|")
				for _, m := range flagSpan.FindAllStringSubmatch(cell, -1) {
					add(n, "_output/bin/provider "+m[1])
				}
			}
			continue
		}
		if pending == "" {
			startsAt = n
		}
		pending += " " + trimmed
		if strings.HasSuffix(pending, `\`) {
			pending = strings.TrimSuffix(pending, `\`)
			continue
		}
		for _, part := range regexp.MustCompile(`&&|;|\|`).Split(cutComment(pending), -1) {
			add(startsAt, part)
		}
		pending = ""
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// cutComment removes a shell comment: a # at the start or after a blank,
// outside quotes.
func cutComment(s string) string {
	var quote rune
	prev := ' '
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '#' && (prev == ' ' || prev == '\t'):
			return s[:i]
		}
		prev = r
	}
	return s
}

// split splits a command line into words as a shell would for the quoting
// the documents use: single and double quotes, no escapes or expansions.
func split(s string) ([]string, error) {
	var (
		out   []string
		word  strings.Builder
		quote rune
		in    bool
	)
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			word.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				out = append(out, word.String())
				word.Reset()
				in = false
			}
		default:
			word.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unclosed %c in %q", quote, s)
	}
	if in {
		out = append(out, word.String())
	}
	return out, nil
}
