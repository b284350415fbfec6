package project

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
	"github.com/crossplane-contrib/provider-ory/internal/console"
	"github.com/crossplane-contrib/provider-ory/internal/metapatch"
	"github.com/crossplane-contrib/provider-ory/internal/providerconfig"
)

// external manages one Project for the length of one reconcile: Observe
// remembers the project it read, so that Update and Delete act on exactly
// that one.
type external struct {
	ory      API
	kube     client.Client
	cfg      *providerconfig.Config
	record   event.Recorder
	now      func() time.Time
	policies bool // spec.managementPolicies are honoured
	requeue  *requeues

	observed console.Project
}

// Observe reads the project the external name names and compares it with
// the spec. It changes nothing in Ory. Another Project resource that named
// the project first manages it (oneManager): this one is refused, and its
// deletion, like that of the first while another names the project, finds
// nothing to delete, so Delete never purges a project another resource
// names.
func (e *external) Observe(ctx context.Context, cr Resource) (managed.ExternalObservation, error) {
	id, err := common.ParseProjectID(meta.GetExternalName(cr))
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	if id == "" {
		if !meta.WasDeleted(cr) && e.may(cr).ShouldCreate() {
			if err := e.createAllowed(); err != nil {
				return managed.ExternalObservation{}, refuseCreate(cr, err)
			}
		}
		// Up to date, so that policies without Create never get to Update.
		return managed.ExternalObservation{ResourceExists: false, ResourceUpToDate: true}, nil
	}
	if err := e.cfg.CheckProject(id); err != nil {
		return managed.ExternalObservation{}, err
	}
	if mine, err := e.oneManager(ctx, cr, id); err != nil || !mine {
		return managed.ExternalObservation{ResourceExists: false, ResourceUpToDate: true}, err
	}
	p, err := e.ory.GetProject(ctx, id)
	forbidden := console.ReasonOf(err) == console.ReasonForbidden
	exists, err := presence(id, p, err, strings.EqualFold(cr.GetAnnotations()[common.AnnotationPurging], id))
	if err != nil {
		if forbidden && meta.WasDeleted(cr) {
			err = forbiddenWhileDeleting(err, e.keepWays(cr))
		}
		return managed.ExternalObservation{}, e.requeue.note(cr, err)
	}
	if !exists {
		if !meta.WasDeleted(cr) {
			if err := e.forget(ctx, cr); err != nil {
				return managed.ExternalObservation{}, err
			}
			cr.SetConditions(e.gone(cr, id))
		}
		return managed.ExternalObservation{ResourceExists: false, ResourceUpToDate: true}, nil
	}
	e.observed = p
	e.setObservation(cr, p)
	if meta.WasDeleted(cr) {
		return managed.ExternalObservation{ResourceExists: true}, nil
	}

	// The workspace Ory chose (or the ProviderConfig gave) is written into
	// the spec, so the resource says where its project lives.
	lateInit := false
	if spec := cr.Parameters(); spec.WorkspaceID == "" && p.WorkspaceID != "" {
		spec.WorkspaceID, lateInit = p.WorkspaceID, true
	}
	cr.SetConditions(readiness(p))
	nameMatches, upToDate := drift(cr.Parameters(), p, e.may(cr).ShouldUpdate())
	cr.SetConditions(upToDate)
	return managed.ExternalObservation{
		ResourceExists:          true,
		ResourceUpToDate:        nameMatches,
		ResourceLateInitialized: lateInit,
		ConnectionDetails:       e.details(p),
	}, nil
}

// forget clears status.atProvider of a resource whose project Ory shows
// gone, in the API server at once: a reference to the resource must not
// resolve to the old project (common.ProjectID), nor its STATE column say
// running, also while no new project can be made. Written here, not left to
// the runtime's status write, because the runtime's full updates before and
// after a create (its create annotations) put back the stored status first.
func (e *external) forget(ctx context.Context, cr Resource) error {
	if *cr.Observation() == (common.ProjectObservation{}) {
		return nil
	}
	patch := client.RawPatch(types.MergePatchType, []byte(`{"status":{"atProvider":null}}`))
	if err := e.kube.Status().Patch(ctx, cr, patch); err != nil {
		return errors.Wrap(err, "cannot clear status.atProvider of a project Ory shows gone")
	}
	*cr.Observation() = common.ProjectObservation{}
	return nil
}

// gone is the Ready condition of a resource whose project Ory shows gone.
func (e *external) gone(cr Resource, id string) xpv2.Condition {
	next := "the provider creates a new project"
	if !e.may(cr).ShouldCreate() {
		next = "the management policies do not allow Create, so the provider makes no new one"
	}
	return xpv2.Unavailable().WithMessage("project " + id + " no longer exists in Ory (deleted, or unknown to it): " + next)
}

// Create creates the project the spec declares. The resource is marked
// first (common.AnnotationCreating: when, which workspace, which name), so
// that a create whose answer is lost, or that a crash interrupts, is looked
// into by the recovery before anything creates another project.
func (e *external) Create(ctx context.Context, cr Resource) (managed.ExternalCreation, error) {
	if err := e.createAllowed(); err != nil {
		return managed.ExternalCreation{}, err
	}
	spec := e.projectSpec(cr)
	mark := common.CreationMark{Since: e.now().UTC().Truncate(time.Second), Parent: spec.WorkspaceID, Name: spec.Name}
	// The external name of a project Ory shows gone goes in the same patch:
	// a create is looked for only while no external name is set.
	if err := metapatch.Annotations(ctx, e.kube, cr, map[string]*string{common.AnnotationCreating: ptr(mark.String()), meta.AnnotationKeyExternalName: nil}); err != nil {
		return managed.ExternalCreation{}, errors.Wrap(err, "cannot mark the resource before creating its project")
	}
	p, err := e.ory.CreateProject(ctx, spec)
	if err != nil {
		if console.MayHaveCreated(err) {
			// The mark stays: the recovery looks for the project before
			// the next create.
			return managed.ExternalCreation{}, errors.Wrap(err, "the provider looks for the project in Ory before it creates another")
		}
		// Ory refused before acting (402, 403, 429...): nothing to look for.
		_ = metapatch.Annotations(ctx, e.kube, cr, map[string]*string{common.AnnotationCreating: nil})
		return managed.ExternalCreation{}, e.requeue.note(cr, err)
	}
	e.recordProject(ctx, cr, p.ID)
	return managed.ExternalCreation{ConnectionDetails: e.details(p)}, nil
}

// recordProject records project id as the resource's, and the create as
// succeeded, in one patch with the creation mark's removal, rather than
// leave it to the runtime after Create returns: should the runtime's own
// write fail, the resource would otherwise stop with "cannot determine
// creation result". Should this patch fail, the runtime writes the
// external name next; should both fail, the mark leads the recovery to the
// project.
func (e *external) recordProject(ctx context.Context, cr Resource, id string) {
	now := e.now().Format(time.RFC3339)
	a := map[string]*string{meta.AnnotationKeyExternalName: &id, common.AnnotationCreating: nil, meta.AnnotationKeyExternalCreateSucceeded: &now}
	if err := metapatch.Annotations(ctx, e.kube, cr, a); err != nil {
		meta.SetExternalName(cr, id)
	}
}

// Update renames the project at the revision Observe read. A 409 (the
// project changed since) is answered by reading it again and renaming once
// more; a second 409 is returned, and the runtime backs off.
func (e *external) Update(ctx context.Context, cr Resource) (managed.ExternalUpdate, error) {
	p, name := e.observed, cr.Parameters().Name
	if p.Name == name {
		return managed.ExternalUpdate{}, nil
	}
	renamed, err := e.ory.RenameProject(ctx, p.ID, p.RevisionID, name)
	if console.ReasonOf(err) == console.ReasonConflict {
		renamed, err = e.renameAgain(ctx, p.ID, name)
	}
	if err != nil {
		return managed.ExternalUpdate{}, e.requeue.note(cr, err)
	}
	e.setObservation(cr, renamed)
	cr.SetConditions(readiness(renamed))
	_, upToDate := drift(cr.Parameters(), renamed, true)
	cr.SetConditions(upToDate)
	e.record.Event(cr, event.Normal("RenamedProject", fmt.Sprintf("Renamed project %s from %q to %q", p.ID, p.Name, renamed.Name)))
	return managed.ExternalUpdate{}, nil
}

// renameAgain reads the project again after a 409 and renames it at its
// current revision, unless it has the name by now.
func (e *external) renameAgain(ctx context.Context, id, name string) (console.Project, error) {
	cur, err := e.ory.GetProject(ctx, id)
	if err != nil {
		return console.Project{}, err
	}
	if cur.Name == name {
		return cur, nil
	}
	return e.ory.RenameProject(ctx, id, cur.RevisionID, name)
}

// Delete purges the project, unless deletion protection is on: then nothing
// is sent to Ory, and the error (a condition, and a DeletionProtected
// event) says how to go on. The runtime retries with its backoff, and a
// change of the spec (deletionProtection false, other management policies)
// is reconciled at once. The first purge (the one that records
// common.AnnotationPurging) is confirmed at once, with a PurgedProject
// event; a later one, sent while Ory still shows the project, or after a
// purge that failed, goes through the backoff without an event.
func (e *external) Delete(ctx context.Context, cr Resource) (managed.ExternalDelete, error) {
	id := e.observed.ID
	if why := deletionRefusal(cr.Parameters(), id, e.keepWays(cr)); why != "" {
		err := errors.New(why)
		e.tellOnce(cr, event.Warning(event.Reason(common.ReasonDeletionProtected), err))
		return managed.ExternalDelete{}, err
	}
	keys, err := keysInProject(ctx, e.kube, id)
	if err != nil {
		return managed.ExternalDelete{}, err
	}
	if why := keysFirst(id, keys); why != "" {
		e.tellOnce(cr, event.Normal(reasonWaitingForKeys, why))
		return managed.ExternalDelete{}, errors.New(why)
	}
	// A purge already recorded on the resource was sent before: Ory's read
	// may show the project running for a while after its 204. The purge
	// is sent again (its 403 or 404 for a purged project counts as done),
	// but through the runtime's backoff and without another event: at
	// once, each second would bring another purge.
	again := strings.EqualFold(cr.GetAnnotations()[common.AnnotationPurging], id)
	if !again {
		// The create's annotations go with the same patch: for 30 s after
		// a create, crossplane-runtime takes an Observe that finds nothing
		// for an eventually consistent API not listing the project yet,
		// and waits (its creation grace period). Here it would find the
		// project purged, which the provider knows: no reason to wait. All
		// three go, since a create-pending without a result would read as
		// an interrupted create.
		purging := map[string]*string{
			common.AnnotationPurging:                  &id,
			meta.AnnotationKeyExternalCreatePending:   nil,
			meta.AnnotationKeyExternalCreateSucceeded: nil,
			meta.AnnotationKeyExternalCreateFailed:    nil,
		}
		if err := metapatch.Annotations(ctx, e.kube, cr, purging); err != nil {
			return managed.ExternalDelete{}, errors.Wrap(resource.IgnoreNotFound(err), "cannot record the purge on the resource")
		}
	}
	err = e.ory.PurgeProject(ctx, id)
	if r := console.ReasonOf(err); again && (r == console.ReasonForbidden || r == console.ReasonNotFound) {
		// Ory answers a purged project's purge as an unknown project's;
		// after the provider's own purge it is taken as gone, as Observe
		// does (presence).
		err = nil
	}
	if err != nil {
		return managed.ExternalDelete{}, e.requeue.note(cr, err)
	}
	if again {
		return managed.ExternalDelete{}, nil
	}
	e.record.Event(cr, event.Normal("PurgedProject", "Purged project "+id+" ("+e.observed.Name+") and all its data"))
	e.requeue.soon(cr)
	return managed.ExternalDelete{}, nil
}

// tellOnce records ev, a refusal of the deletion that Delete returns as its
// error, unless the resource's Synced condition already carries its
// message: crossplane-runtime writes there, and in its own
// CannotDeleteExternalResource event, every error Delete returns, so
// each retry of the same refusal would repeat the provider's event too.
// One event per refusal is enough.
func (e *external) tellOnce(cr Resource, ev event.Event) {
	if strings.Contains(cr.GetCondition(xpv2.TypeSynced).Message, ev.Message) {
		return
	}
	e.record.Event(cr, ev)
}

// Disconnect does nothing: the console client keeps no per-reconcile state.
func (e *external) Disconnect(context.Context) error { return nil }

// createAllowed refuses a create with a ProviderConfig limited to some
// projects: a new project's ID cannot be among them, and a tenant limited
// to its projects should not spend the workspace's project slots.
func (e *external) createAllowed() error {
	if len(e.cfg.AllowedProjectIDs) == 0 {
		return nil
	}
	return errors.Errorf("%s limits its resources to some projects (allowedProjectIDs), and a new project's ID cannot be among them: create Projects with a ProviderConfig without allowedProjectIDs, or import an allowed project by its ID", e.cfg.Ref)
}

// projectSpec is the create the spec asks for; the workspace defaults to
// the ProviderConfig's (empty: Ory chooses the workspace key's).
func (e *external) projectSpec(cr Resource) console.ProjectSpec {
	p := cr.Parameters()
	ws := p.WorkspaceID
	if ws == "" {
		ws = e.cfg.WorkspaceID
	}
	return console.ProjectSpec{Name: p.Name, Environment: p.Environment, HomeRegion: p.HomeRegion, WorkspaceID: ws}
}

// refuseCreate reports, before the runtime would create a project, a create
// that cannot succeed: Ready says why.
func refuseCreate(cr Resource, err error) error {
	c := xpv2.Unavailable().WithMessage("no project was created: " + err.Error())
	c.Reason = common.ReasonCreateRefused
	cr.SetConditions(c)
	return err
}

func (e *external) setObservation(cr Resource, p console.Project) {
	*cr.Observation() = common.ProjectObservation{
		ID:          p.ID,
		Slug:        p.Slug,
		Name:        p.Name,
		State:       p.State,
		Environment: p.Environment,
		HomeRegion:  p.HomeRegion,
		WorkspaceID: p.WorkspaceID,
		RevisionID:  p.RevisionID,
		APIURL:      e.apiURL(p),
	}
}

// apiURL is the URL of the project's own API: the ProviderConfig's
// projectAPIURLs override for it, else its projectAPIURLTemplate with the
// slug (console.ProjectAPIURL; https://<slug>.projects.oryapis.com by
// default), "" without a slug.
func (e *external) apiURL(p console.Project) string {
	if u := e.cfg.ProjectAPIURLs[p.ID]; u != "" {
		return u
	}
	if p.Slug == "" {
		return ""
	}
	return console.ProjectAPIURL(e.cfg.ProjectAPIURLTemplate, p.Slug)
}

// details are the connection details of a project, none of them secret:
// its ID, slug and API URL (left out while unknown).
func (e *external) details(p console.Project) managed.ConnectionDetails {
	d := managed.ConnectionDetails{
		common.ConnectionKeyProjectID: []byte(p.ID),
		common.ConnectionKeySlug:      []byte(p.Slug),
	}
	if u := e.apiURL(p); u != "" {
		d[common.ConnectionKeyAPIURL] = []byte(u)
	}
	return d
}

// keepWays are the ways the resource's scope, and the provider's flags,
// offer to let it go without purging its project.
func (e *external) keepWays(cr Resource) keepWays {
	_, legacy := cr.(resource.LegacyManaged)
	return keepWays{legacy: legacy, policies: e.policies}
}

// may returns what the resource's management policies allow (everything
// when the provider does not honour them).
func (e *external) may(mg resource.Managed) managed.ManagementPoliciesChecker {
	return managed.NewManagementPoliciesResolver(e.policies, mg.GetManagementPolicies())
}

func ptr[T any](v T) *T { return &v }
