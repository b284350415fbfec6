package predicates

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrlevent "sigs.k8s.io/controller-runtime/pkg/event"

	namespacedv1alpha1 "github.com/crossplane-contrib/provider-ory/apis/namespaced/v1alpha1"
)

func TestDesiredStateChanged(t *testing.T) {
	const own = "ory.crossplane.io/creating"
	object := func(generation int64, labels, annotations map[string]string) *namespacedv1alpha1.Project {
		return &namespacedv1alpha1.Project{ObjectMeta: metav1.ObjectMeta{Name: "p", Generation: generation, Labels: labels, Annotations: annotations}}
	}
	cases := map[string]struct {
		reason   string
		old, new *namespacedv1alpha1.Project
		want     bool
	}{
		"SpecChanged": {
			reason: "A new generation is a changed spec: the user asked for something.",
			old:    object(1, nil, nil), new: object(2, nil, nil),
			want: true,
		},
		"LabelChanged": {
			reason: "Labels are the user's, as in crossplane-runtime's own filter.",
			old:    object(1, nil, nil), new: object(1, map[string]string{"team": "a"}, nil),
			want: true,
		},
		"UserAnnotationChanged": {
			reason: "An annotation the controller does not write (an external name set to import) is the user's.",
			old:    object(1, nil, nil), new: object(1, nil, map[string]string{"crossplane.io/external-name": "x"}),
			want: true,
		},
		"OwnAnnotationChanged": {
			reason: "The controller's own annotation, set and cleared around a failed create, must not requeue past the backoff.",
			old:    object(1, nil, nil), new: object(1, nil, map[string]string{own: "{}"}),
		},
		"RuntimeAnnotationChanged": {
			reason: "crossplane-runtime's create annotations are the controller's writes too.",
			old:    object(1, nil, map[string]string{RuntimeAnnotations[0]: "a"}), new: object(1, nil, map[string]string{RuntimeAnnotations[0]: "b"}),
		},
		"StatusOnly": {
			reason: "A status write keeps the generation: nothing the user asked for.",
			old:    object(3, nil, nil), new: object(3, nil, nil),
		},
	}
	p := DesiredStateChanged(append([]string{own}, RuntimeAnnotations...)...)
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := p.Update(ctrlevent.UpdateEvent{ObjectOld: tc.old, ObjectNew: tc.new})
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
