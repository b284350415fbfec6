package project

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/console"
)

// The decisions of a Project's life, as functions of what Ory answered and
// what the spec says, with nothing else to read: each is table-tested.

// clockSkew is how far Ory's clock (a project's created_at) and the
// provider's (the creation mark) may disagree when a lost create is looked
// for; the engine allows keys the same.
const clockSkew = 2 * time.Minute

// settleWindow is how long after a create began (its creation mark) a look
// that finds no project of it proves nothing yet: a create that ended in a
// 504, or in the client's own timeout (console.CallTimeout), may still be
// under way in Ory, and its project listed only later. Both ends are the
// provider's clock (the mark's time and now), so no clock skew enters;
// settleMargin allows for a create Ory finishes shortly after the client
// gave up.
const settleWindow = console.CallTimeout + settleMargin

// settleMargin is the part of settleWindow past the client's own timeout.
const settleMargin = 15 * time.Second

// settleLook is how often a create still in its settle window is looked
// for again.
const settleLook = 15 * time.Second

// nextLook returns when a create that began at since, and that a look at
// now found nothing of, is to be looked for again, or the zero time when
// its settle window is over and "nothing" means that the create made
// nothing.
func nextLook(since, now time.Time) time.Time {
	end := since.Add(settleWindow)
	if !now.Before(end) {
		return time.Time{}
	}
	return minTime(now.Add(settleLook), end)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// presence says whether project id exists, from Ory's answer to GetProject:
// the project p, or err. A project in state deleted (the console deletes
// softly) and a 404 prove it gone. A 403 does not: Ory answers it for a
// project that does not exist as for one the workspace key may not see
// (reported from a live check by Ory's Terraform provider, PR 325), and
// taking it for absence would create a second project, or end the
// resource's hold on one that still exists. Only after the provider's own
// purge (purged) does a 403 mean gone. Any other error is returned as it
// is: the reconcile backs off and tries again.
func presence(id string, p console.Project, err error, purged bool) (bool, error) {
	switch console.ReasonOf(err) {
	case "":
		if err != nil {
			return false, err
		}
		return p.State != console.ProjectDeleted, nil
	case console.ReasonNotFound:
		return false, nil
	case console.ReasonForbidden:
		if purged {
			return false, nil
		}
		said := ""
		if e := (*console.Error)(nil); errors.As(err, &e) && e.Message != "" {
			said = " (" + e.Message + ")"
		}
		return false, fmt.Errorf("cannot read project %s: Ory answered 403 Forbidden%s. Ory answers so for a project that does not exist as for one "+
			"this workspace API key may not see, so the provider neither creates another project nor takes this one for gone: check that the "+
			"external name is the project's ID, and that the ProviderConfig's workspace API key (ory_wak_) belongs to the project's workspace", id, said)
	}
	return false, err
}

// readiness is the Ready condition of a project in Ory: Available while it
// runs, Unavailable, with what Ory reports, otherwise.
func readiness(p console.Project) xpv2.Condition {
	switch p.State {
	case console.ProjectRunning:
		return xpv2.Available()
	case console.ProjectHalted:
		c := xpv2.Unavailable().WithMessage("Ory reports project " + p.ID + " halted: bring it back to running in the Ory Console (Project settings); the provider reports it Ready once Ory does")
		c.Reason = common.ReasonProjectHalted
		return c
	}
	return xpv2.Unavailable().WithMessage(fmt.Sprintf("Ory reports project %s in state %q, not %q", p.ID, p.State, console.ProjectRunning))
}

// drift compares the spec with the project in Ory. nameMatches is what
// crossplane-runtime calls up to date: the name is the one setting Ory can
// change in place (Update renames). The condition (type UpToDate) also
// reports what cannot be changed: a project's environment, home region and
// workspace are fixed in Ory, and the provider never replaces a project,
// since that would lose its users. It reports a name that the management
// policies keep from being changed (mayUpdate false) too, so no difference
// is silent.
func drift(spec *common.ProjectParameters, p console.Project, mayUpdate bool) (nameMatches bool, c xpv2.Condition) {
	var fixed []string
	differs := func(field, want, got string) {
		fixed = append(fixed, fmt.Sprintf("spec.forProvider.%s is %q but Ory reports %q", field, want, got))
	}
	if spec.Environment != p.Environment {
		differs("environment", spec.Environment, p.Environment)
	}
	if spec.HomeRegion != "" && spec.HomeRegion != p.HomeRegion {
		differs("homeRegion", spec.HomeRegion, p.HomeRegion)
	}
	if spec.WorkspaceID != "" && !strings.EqualFold(spec.WorkspaceID, p.WorkspaceID) {
		differs("workspaceID", spec.WorkspaceID, p.WorkspaceID)
	}
	nameMatches = spec.Name == p.Name
	var msgs []string
	if len(fixed) > 0 {
		msgs = append(msgs, strings.Join(fixed, ", ")+": Ory cannot change these for a project, and the provider never replaces one (its users would be lost). "+
			"Create a new Project with the settings you want, or recreate this resource with the settings Ory reports")
	}
	switch {
	case !nameMatches && !mayUpdate:
		msgs = append(msgs, fmt.Sprintf("spec.forProvider.name is %q but the project is named %q in Ory, and the management policies do not allow Update: add Update to spec.managementPolicies to rename it", spec.Name, p.Name))
	case !nameMatches:
		msgs = append(msgs, fmt.Sprintf("spec.forProvider.name is %q but the project is named %q in Ory: the provider renames it", spec.Name, p.Name))
	}
	c = xpv2.Condition{Type: common.TypeUpToDate, Status: corev1.ConditionTrue, Reason: common.ReasonInSync, LastTransitionTime: metav1.Now(),
		Message: "the project in Ory matches spec.forProvider"}
	if len(msgs) > 0 {
		c.Status, c.Reason, c.Message = corev1.ConditionFalse, common.ReasonDrifted, strings.Join(msgs, "; ")
	}
	return nameMatches, c
}

// candidates are the projects that a create whose answer was lost may have
// made, as the creation mark m and the spec describe it: named m.Name, in
// workspace m.Parent (any workspace when the create named none: Ory chose),
// of the spec's environment and, when the spec sets one, its home region
// (both immutable, so the spec's are the create's; left out, Ory chose the
// region), made since m.Since (clockSkew allowed; a project whose creation
// time Ory did not report cannot be ruled out), not deleted, and named by
// no Project resource (known holds the lower case IDs the resources name).
func candidates(projects []console.Project, m common.CreationMark, spec *common.ProjectParameters, known map[string]bool) []console.Project {
	var out []console.Project
	for _, p := range projects {
		switch {
		case p.Name != m.Name,
			m.Parent != "" && !strings.EqualFold(p.WorkspaceID, m.Parent),
			p.Environment != spec.Environment,
			spec.HomeRegion != "" && p.HomeRegion != spec.HomeRegion,
			p.State == console.ProjectDeleted,
			!p.CreatedAt.IsZero() && p.CreatedAt.Before(m.Since.Add(-clockSkew)),
			known[strings.ToLower(p.ID)]:
			continue
		}
		out = append(out, p)
	}
	return out
}

// firstOf reports whether Project resource a came before b, of two that
// name one project: the older (creation times have second precision), then
// by UID, then by namespace and name (a cluster-scoped one has none), so
// that of two the same one always manages the project.
func firstOf(a, b metav1.Object) bool {
	ta, tb := a.GetCreationTimestamp(), b.GetCreationTimestamp()
	if !ta.Equal(&tb) {
		return ta.Before(&tb)
	}
	if a.GetUID() != b.GetUID() {
		return a.GetUID() < b.GetUID()
	}
	return a.GetNamespace()+"/"+a.GetName() < b.GetNamespace()+"/"+b.GetName()
}

// Ways to let a Project's deletion leave its project in Ory, by scope.
type keepWays struct {
	// legacy: the cluster-scoped kind, which has spec.deletionPolicy.
	legacy bool
	// policies: the provider honours spec.managementPolicies.
	policies bool
}

// deletionRefusal returns why deleting a Project must not purge project id,
// in words that say how to go on, or "" when it may purge: deletion
// protection is on (true, or unset: its default is true).
func deletionRefusal(spec *common.ProjectParameters, id string, w keepWays) string {
	if !spec.Protected() {
		return ""
	}
	return "deletion protection is on (spec.forProvider.deletionProtection is true or unset, and true is its default), so project " + id +
		" is not purged and this resource waits. To purge the project, with its identities, sessions, OAuth2 clients and configuration, for good: " +
		"set spec.forProvider.deletionProtection to false. To keep the project in Ory and let this resource go: " + w.letGo()
}

// letGo says how a deleted Project lets go of its project without a word
// to Ory: crossplane-runtime then removes its finalizer without observing
// or deleting the project. A way the scope or the provider's flags do not
// offer is not named.
func (w keepWays) letGo() string {
	var keep []string
	if w.policies {
		keep = append(keep, "set spec.managementPolicies without Delete (for example [Observe, Create, Update, LateInitialize])")
	}
	if w.legacy {
		keep = append(keep, "set spec.deletionPolicy to Orphan")
	}
	if len(keep) == 0 {
		keep = append(keep, "remove the finalizer "+managed.FinalizerName+" by hand (this provider runs without --enable-management-policies)")
	}
	return strings.Join(keep, ", or ")
}

// forbiddenWhileDeleting adds to presence's error for a 403 (err), met
// while the resource is deleted, the way out: the provider neither purges
// nor lets go of a project it cannot see, and a person who knows the
// project is gone, or wants it kept, lets the resource go.
func forbiddenWhileDeleting(err error, w keepWays) error {
	return fmt.Errorf("%w. This resource is being deleted: if the project is gone, or should stay in Ory as it is, let this resource go: %s", err, w.letGo())
}
