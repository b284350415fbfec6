package project

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	kmeta "k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/cluster/v1alpha1"
	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/console"
	"github.com/crossplane-contrib/provider-ory/internal/metapatch"
)

// recovery looks into a create that did not record its project, a
// crossplane-runtime initializer: it runs before Observe in every
// reconcile, and reads nothing unless the resource shows such a create.
//
// That is a create whose answer was lost (a cut connection, a 5xx: Ory may
// have made the project), and one a crash interrupted between asking Ory and
// recording the project's ID (crossplane-runtime would otherwise stop the
// resource with "cannot determine creation result" until a person looks).
// The resource then has no external name, and the provider's creation mark
// (common.AnnotationCreating), or the runtime's create-pending annotation
// without a result.
//
// Ory's list of projects answers the question. A project of the name the
// create asked for, in its workspace, of the spec's environment (and home
// region, when set), made since the create began, not deleted, that no
// Project resource of either scope names (candidates), is that create's
// project:
//
//   - exactly one: the resource adopts it (its ID becomes the external
//     name; event RecoveredCreate). It is not purged and made again: a
//     project may hold users from its first minute, and nothing about it
//     is lost with the answer (unlike a key's value).
//   - none, while the create may still be under way in Ory (settleWindow
//     since the mark: a 504, or the client's timeout, can come before Ory
//     finishes): not yet. The mark stays, Ready (Creating) says the
//     provider is still looking, and it looks again soon (nextLook).
//   - none after that: the create made nothing; the mark is cleared and the
//     resource creates its project.
//   - several: the provider cannot tell which, and will not guess or make
//     another: Ready (CreateAmbiguous) and an event name them and ask a
//     person to import the right one by setting the external name. A
//     resource being deleted leaves them all in Ory, with a warning.
//
// A ProviderConfig with allowedProjectIDs may not look (a new project's ID
// cannot be among them): the mark stays, and Ready (CreateRefused) says how
// to go on (refuseLook).
type recovery struct {
	kube    client.Client
	connect func(ctx context.Context, mg resource.Managed) (*external, error)
}

// Initialize looks into an unrecorded create of mg, if it shows one.
func (r *recovery) Initialize(ctx context.Context, mg resource.Managed) error {
	cr, ok := mg.(Resource)
	if !ok {
		return errors.Errorf("%T is not a Project", mg)
	}
	mark, marked := cr.GetAnnotations()[common.AnnotationCreating]
	incomplete := meta.ExternalCreateIncomplete(cr)
	if !marked && !incomplete {
		return nil
	}
	if meta.GetExternalName(cr) != "" {
		// The create recorded its project (the runtime wrote the external
		// name when this controller's own record failed), or never asked
		// Ory: a create clears the external name with its mark.
		return settle(ctx, r.kube, cr, map[string]*string{common.AnnotationCreating: nil}, incomplete, meta.AnnotationKeyExternalCreateSucceeded)
	}
	e, err := r.connect(ctx, mg)
	if err != nil {
		return errors.Wrap(err, "cannot look for the project of an interrupted create")
	}
	return e.recover(ctx, cr, e.creationMark(cr, mark, marked), incomplete)
}

// creationMark is what the create being looked into asked for: the mark
// it left, or, without one (the provider stopped before writing it, or it
// is mangled), the create the spec asks for now, since the runtime's
// create-pending time (an hour ago without one).
func (e *external) creationMark(cr Resource, v string, marked bool) common.CreationMark {
	var m common.CreationMark
	if marked {
		m = common.ParseCreationMark(v)
	}
	if m.Name == "" {
		spec := e.projectSpec(cr)
		m.Name, m.Parent = spec.Name, spec.WorkspaceID
	}
	if m.Since.IsZero() {
		m.Since = meta.GetExternalCreatePending(cr)
	}
	if m.Since.IsZero() {
		m.Since = e.now().Add(-time.Hour)
	}
	return m
}

// recover settles the create m describes: adopts its project, lets a new
// create go on, or refuses (see recovery).
func (e *external) recover(ctx context.Context, cr Resource, m common.CreationMark, incomplete bool) error {
	if err := e.createAllowed(); err != nil {
		// The create began under a ProviderConfig without allowedProjectIDs,
		// which has them now: the provider may neither look for the project
		// nor make another, and the mark stays for when it may.
		return e.refuseLook(cr, m, err)
	}
	found, err := e.lookFor(ctx, m, cr.Parameters())
	if err != nil {
		return e.requeue.note(cr, errors.Wrap(err, "cannot look for the project an interrupted create may have made; the provider creates no other until it can"))
	}
	clear := map[string]*string{common.AnnotationCreating: nil}
	switch {
	case len(found) == 1:
		p := found[0]
		clear[meta.AnnotationKeyExternalName] = &p.ID
		if err := settle(ctx, e.kube, cr, clear, true, meta.AnnotationKeyExternalCreateSucceeded); err != nil {
			return err
		}
		e.record.Event(cr, event.Normal("RecoveredCreate", fmt.Sprintf("The create of project %q lost its answer, but Ory had made project %s; "+
			"this resource adopted it (a project is never purged to be made again: it may already hold users)", m.Name, p.ID)))
		return nil
	case len(found) == 0 && !nextLook(m.Since, e.now()).IsZero():
		return e.notYet(cr, m, nextLook(m.Since, e.now()))
	case len(found) == 0:
		if err := settle(ctx, e.kube, cr, clear, incomplete, meta.AnnotationKeyExternalCreateFailed); err != nil {
			return err
		}
		e.record.Event(cr, event.Normal("RecoveredCreate", fmt.Sprintf("An interrupted create of project %q had made no project in Ory; the provider creates it", m.Name)))
		return nil
	case meta.WasDeleted(cr):
		if err := settle(ctx, e.kube, cr, clear, incomplete, meta.AnnotationKeyExternalCreateFailed); err != nil {
			return err
		}
		e.record.Event(cr, event.Warning(event.Reason(common.ReasonCreateAmbiguous), errors.Errorf("This resource is deleted, and a create of project %q "+
			"whose answer was lost may have made any of projects %s: the provider leaves them all in Ory; purge in the Ory Console the ones nobody uses", m.Name, ids(found))))
		return nil
	}
	err = errors.Errorf("a create of project %q lost its answer, and projects %s all fit it (that name, made since %s, named by no Project): "+
		"the provider will not guess, nor make another. Set the crossplane.io/external-name annotation to the ID of the one to keep (purge the others in the Ory Console if nobody uses them)",
		m.Name, ids(found), m.Since.UTC().Format(time.RFC3339))
	c := xpv2.Unavailable().WithMessage(err.Error())
	c.Reason = common.ReasonCreateAmbiguous
	cr.SetConditions(c)
	e.record.Event(cr, event.Warning(event.Reason(common.ReasonCreateAmbiguous), err))
	return err
}

// notYet reports a create of m whose project Ory does not list, while it
// may still be under way (settleWindow): the mark stays, Ready (Creating)
// says the provider is still looking, the returned error stops the
// reconcile before a create, and the next look comes at next.
func (e *external) notYet(cr Resource, m common.CreationMark, next time.Time) error {
	err := errors.Errorf("a create of project %q since %s lost its answer, and Ory lists no project of it yet; Ory may still be making it, so the provider "+
		"makes no other and looks again until %s, then creates the project if none has appeared",
		m.Name, m.Since.UTC().Format(time.RFC3339), m.Since.Add(settleWindow).UTC().Format(time.RFC3339))
	cr.SetConditions(xpv2.Creating().WithMessage(err.Error()))
	e.requeue.set(cr, next)
	return err
}

// refuseLook reports, in Ready (CreateRefused) and the returned error, a
// create of m that the provider may not look into because its ProviderConfig
// refuses creates (why, from createAllowed), and how to go on. The creation
// mark stays: the project may exist, and a look once the ProviderConfig
// allows it finds it.
func (e *external) refuseLook(cr Resource, m common.CreationMark, why error) error {
	err := errors.Errorf("a create of project %q since %s did not record its project, and Ory may have made it; the provider cannot look for it now, nor make another, because %s. "+
		"Give this resource a ProviderConfig without allowedProjectIDs for the provider to look, or set the crossplane.io/external-name annotation to the project's ID",
		m.Name, m.Since.UTC().Format(time.RFC3339), why)
	c := xpv2.Unavailable().WithMessage(err.Error())
	c.Reason = common.ReasonCreateRefused
	cr.SetConditions(c)
	return err
}

// settle writes annotations (set, nil values removed) and, when the
// runtime's create-pending annotation has no result yet (incomplete),
// result (its create-succeeded or create-failed annotation) set to now, in
// one patch.
func settle(ctx context.Context, kube client.Client, cr Resource, set map[string]*string, incomplete bool, result string) error {
	if incomplete {
		now := time.Now().Format(time.RFC3339)
		set[result] = &now
	}
	return errors.Wrap(metapatch.Annotations(ctx, kube, cr, set), "cannot record the outcome of an interrupted create on the resource")
}

// lookFor returns the projects the create m of spec describes may have made
// (candidates): Ory's list of projects, less those a Project resource names.
func (e *external) lookFor(ctx context.Context, m common.CreationMark, spec *common.ProjectParameters) ([]console.Project, error) {
	projects, err := e.ory.ListProjects(ctx)
	if err != nil {
		return nil, err
	}
	known, err := e.knownProjectIDs(ctx)
	if err != nil {
		return nil, err
	}
	return candidates(projects, m, spec, known), nil
}

// knownProjectIDs returns the lower case IDs of the projects every Project
// resource, of either scope, names as its external name (forEachProject).
func (e *external) knownProjectIDs(ctx context.Context) (map[string]bool, error) {
	known := map[string]bool{}
	err := e.forEachProject(ctx, func(o Resource) {
		if id := meta.GetExternalName(o); id != "" {
			known[strings.ToLower(id)] = true
		}
	})
	return known, err
}

// forEachProject calls fn with every Project resource of either scope, read
// from the manager's cache. A scope whose CRD is not installed (not
// activated, with Crossplane's safe-start) has no resources.
func (e *external) forEachProject(ctx context.Context, fn func(Resource)) error {
	for _, l := range []client.ObjectList{&namespacedv1alpha1.ProjectList{}, &clusterv1alpha1.ProjectList{}} {
		if err := e.kube.List(ctx, l); err != nil {
			if kmeta.IsNoMatchError(err) {
				continue
			}
			return errors.Wrap(err, "cannot list the Project resources")
		}
		items, err := kmeta.ExtractList(l)
		if err != nil {
			return err
		}
		for _, it := range items {
			if o, ok := it.(Resource); ok {
				fn(o)
			}
		}
	}
	return nil
}

func ids(ps []console.Project) string {
	s := make([]string, 0, len(ps))
	for _, p := range ps {
		s = append(s, p.ID)
	}
	return strings.Join(s, ", ")
}
