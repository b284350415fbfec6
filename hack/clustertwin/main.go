// Command clustertwin writes the cluster-scoped twin of each namespaced
// managed kind's types, so the two scopes of a kind are written once.
//
// For every *_types.go in the -from folder that carries the line
// "//ory:clustertwin" before its package clause, it writes
// zz_generated.<name>_types.go into the -to folder: the same Go code, with
// the few changes that make a Crossplane v1 (legacy, cluster-scoped) managed
// resource out of a v2 (modern, namespaced) one, listed in rules below. Each
// rule must match exactly once; when the namespaced source no longer has the
// text a rule expects, clustertwin fails and names the rule, rather than
// writing a twin that silently differs.
//
// The twin's package is the -to folder's own (its register.go gives the
// group), so a types file must not import its scope's package.
//
// apis/generate.go runs it before controller-gen and angryjet:
//
//	go run ../hack/clustertwin --from=namespaced/v1alpha1 --to=cluster/v1alpha1
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// marker opts a namespaced types file in.
const marker = "//ory:clustertwin"

// commentWidth is the widest a reflowed doc comment line gets, "// " included.
const commentWidth = 78

// clusterClause is what the kind's doc comment adds to its first sentence.
const clusterClause = ", cluster-scoped for Crossplane v1 style compositions"

func main() {
	from := flag.String("from", "namespaced/v1alpha1", "folder of the namespaced types files")
	to := flag.String("to", "cluster/v1alpha1", "folder the cluster-scoped twins are written to")
	flag.Parse()
	if err := run(*from, *to); err != nil {
		fmt.Fprintln(os.Stderr, "clustertwin:", err)
		os.Exit(1)
	}
}

// run writes a twin for every marked *_types.go in from.
func run(from, to string) error {
	files, err := filepath.Glob(filepath.Join(from, "*_types.go"))
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if !marked(src) {
			continue
		}
		out, err := Twin(src, filepath.ToSlash(f))
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		dst := filepath.Join(to, "zz_generated."+filepath.Base(f))
		if err := os.WriteFile(dst, out, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// marked reports whether the marker line stands before the package clause.
func marked(src []byte) bool {
	head, _, ok := bytes.Cut(src, []byte("\npackage "))
	if !ok {
		return false
	}
	for _, l := range strings.Split(string(head), "\n") {
		if strings.TrimSpace(l) == marker {
			return true
		}
	}
	return false
}

// A rule is one difference between a namespaced kind and its cluster twin.
type rule struct {
	// why the scopes differ here; it names the rule in errors.
	why string
	// re matches the namespaced text, exactly once.
	re *regexp.Regexp
	// repl is the cluster text, as for regexp.Expand.
	repl string
	// onlyIf, when set, limits the rule to sources that contain it (the
	// kinds that have the field the rule is about): a source without it
	// must not match the rule, one with it must match once.
	onlyIf string
}

// rules are every difference between the scopes in a kind's types file.
var rules = []rule{
	{
		why:  "a cluster-scoped managed resource embeds ClusterManagedResourceSpec (legacy: namespaced connection Secret reference, untyped providerConfigRef, deletionPolicy)",
		re:   regexp.MustCompile("(?m)^\txpv2\\.ManagedResourceSpec `json:\",inline\"`$"),
		repl: "\txpv2.ClusterManagedResourceSpec `json:\",inline\"`",
	},
	{
		why:  "only a namespaced providerConfigRef has a kind to check",
		re:   regexp.MustCompile(`(?m)^// \+kubebuilder:validation:XValidation:rule="!has\(self\.providerConfigRef\) \|\| self\.providerConfigRef\.kind in .*\n`),
		repl: "",
	},
	{
		why:    "a namespaced kind reads Secrets of its own namespace; a cluster-scoped one has no namespace of its own, so it must name one (a key's importValueFrom, an OAuth2 client's importSecretFrom)",
		re:     regexp.MustCompile(`(?m)^// \+kubebuilder:validation:XValidation:rule="!has\(self\.forProvider\.(import\w+From)\) \|\| !has\(self\.forProvider\.import\w+From\.namespace\)",message="spec\.forProvider\.import\w+From\.namespace must be left out: a namespaced (\w+) reads Secrets of its own namespace only"$`),
		repl:   `// +kubebuilder:validation:XValidation:rule="!has(self.forProvider.${1}) || has(self.forProvider.${1}.namespace)",message="spec.forProvider.${1}.namespace is required for a cluster-scoped ${2}"`,
		onlyIf: "self.forProvider.import",
	},
	{
		why:    "a namespaced kind references objects of its own namespace only, so it refuses a namespace in its references; a cluster-scoped kind's references have no namespace field",
		re:     regexp.MustCompile(`(?m)^// \+kubebuilder:validation:XValidation:rule="[^"]*Ref\.namespace\)[^"]*",(?:\w+=\w+,)*message="[^"]*must be left out: a namespaced \w+ references [^"]*"\n`),
		repl:   "",
		onlyIf: "xpv2.NamespacedReference",
	},
	{
		why:    "a cluster-scoped kind references cluster-scoped objects: crossplane-runtime's Reference, resolved by reference.NewAPIResolver",
		re:     regexp.MustCompile(`(?m)^(\t\w+ +\*)xpv2\.NamespacedReference( .*)$`),
		repl:   "${1}xpv2.Reference${2}",
		onlyIf: "xpv2.NamespacedReference",
	},
	{
		why:    "a cluster-scoped kind selects among cluster-scoped objects: crossplane-runtime's Selector",
		re:     regexp.MustCompile(`(?m)^(\t\w+ +\*)xpv2\.NamespacedSelector( .*)$`),
		repl:   "${1}xpv2.Selector${2}",
		onlyIf: "xpv2.NamespacedSelector",
	},
	{
		why:  "the CRD's scope",
		re:   regexp.MustCompile(`(?m)^// \+kubebuilder:resource:scope=Namespaced,`),
		repl: "// +kubebuilder:resource:scope=Cluster,",
	},
}

// kindDoc matches the kind's doc comment: from "// A <Kind> is" up to its
// first marker line, right after "+kubebuilder:object:root=true" and a blank
// line.
var kindDoc = regexp.MustCompile(`(?m)^// \+kubebuilder:object:root=true\n\n((?:// [^+].*\n)+)// \+kubebuilder:printcolumn`)

// Twin returns the cluster-scoped twin of the namespaced types file src,
// named name in the generated header, gofmt-formatted. It fails when a rule
// does not match exactly once or the result is not valid Go.
func Twin(src []byte, name string) ([]byte, error) {
	_, body, ok := strings.Cut(string(src), "\npackage ")
	if !ok {
		return nil, fmt.Errorf("no package clause")
	}
	body = "package " + body
	for _, r := range rules {
		n := len(r.re.FindAllStringIndex(body, -1))
		if r.onlyIf != "" && !strings.Contains(body, r.onlyIf) && n == 0 {
			continue
		}
		if n != 1 {
			return nil, fmt.Errorf("rule %q matches %d times, want 1: change the rule in hack/clustertwin with the source", r.why, n)
		}
		body = r.re.ReplaceAllString(body, r.repl)
	}
	body, err := clusterDoc(body)
	if err != nil {
		return nil, err
	}
	header := "// Code generated by hack/clustertwin from " + name + ". DO NOT EDIT.\n\n"
	out, err := format.Source([]byte(header + body))
	if err != nil {
		return nil, fmt.Errorf("twin is not valid Go: %w", err)
	}
	return out, nil
}

// clusterDoc adds clusterClause to the first sentence of the kind's doc
// comment (ended by the first ". ") and reflows the paragraph to
// commentWidth, since the comment is also the CRD's description.
func clusterDoc(body string) (string, error) {
	m := kindDoc.FindAllStringSubmatchIndex(body, -1)
	if len(m) != 1 {
		return "", fmt.Errorf("the kind's doc comment (between +kubebuilder:object:root=true and the first printcolumn) matches %d times, want 1", len(m))
	}
	start, end := m[0][2], m[0][3]
	var words []string
	for _, l := range strings.Split(strings.TrimSuffix(body[start:end], "\n"), "\n") {
		words = append(words, strings.Fields(strings.TrimPrefix(l, "//"))...)
	}
	text := strings.Join(words, " ")
	i := strings.Index(text, ". ")
	if i < 0 {
		return "", fmt.Errorf("the kind's doc comment has no sentence ending in \". \"")
	}
	text = text[:i] + clusterClause + text[i:]
	return body[:start] + wrap(text) + body[end:], nil
}

// wrap breaks text into "// " lines of at most commentWidth columns (a
// longer word gets a line of its own), each ended by a newline.
func wrap(text string) string {
	var b, line strings.Builder
	for _, w := range strings.Fields(text) {
		if line.Len() > 0 && len("// ")+line.Len()+1+len(w) > commentWidth {
			b.WriteString("// " + line.String() + "\n")
			line.Reset()
		}
		if line.Len() > 0 {
			line.WriteString(" ")
		}
		line.WriteString(w)
	}
	if line.Len() > 0 {
		b.WriteString("// " + line.String() + "\n")
	}
	return b.String()
}
