// Command function-ory-test is a composition function for provider-ory's
// composition tests, and for nothing else.
//
// The shipped Compositions (examples/composition) use
// function-patch-and-transform (P&T), which the Go module proxy does not serve
// and which cannot be pulled as a package here. So this function interprets
// the same input (pt.fn.crossplane.io/v1beta1 Resources), but only the subset
// the shipped Compositions use: base templates, FromCompositeFieldPath patches
// with string Format transforms, FromConnectionSecretKey connection details
// and MatchCondition and None readiness checks. Anything else in the input is refused
// (unknown fields fail decoding), so a Composition that starts to use more of
// P&T fails the test instead of passing with half its patches ignored.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	xpv1 "github.com/crossplane/crossplane-runtime/v2/apis/common/v1"
	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	"github.com/crossplane/function-sdk-go"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/request"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"
	"github.com/crossplane/function-sdk-go/response"
	"google.golang.org/protobuf/encoding/protojson"
	corev1 "k8s.io/api/core/v1"
)

// resources mirrors the fields of P&T's v1beta1 Resources that this function
// implements; the JSON names are P&T's.
type resources struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Resources  []struct {
		Name    string         `json:"name"`
		Base    map[string]any `json:"base"`
		Patches []struct {
			Type          string `json:"type"`
			FromFieldPath string `json:"fromFieldPath"`
			ToFieldPath   string `json:"toFieldPath"`
			Transforms    []struct {
				Type   string `json:"type"`
				String struct {
					Type string `json:"type"`
					Fmt  string `json:"fmt"`
				} `json:"string"`
			} `json:"transforms"`
		} `json:"patches"`
		ConnectionDetails []struct {
			Name                    string `json:"name"`
			Type                    string `json:"type"`
			FromConnectionSecretKey string `json:"fromConnectionSecretKey"`
		} `json:"connectionDetails"`
		ReadinessChecks []readinessCheck `json:"readinessChecks"`
	} `json:"resources"`
}

type readinessCheck struct {
	Type           string `json:"type"`
	MatchCondition struct {
		Type   xpv1.ConditionType     `json:"type"`
		Status corev1.ConditionStatus `json:"status"`
	} `json:"matchCondition"`
}

// readyIfReadyTrue is P&T's default readiness check: the Ready condition is True.
var readyIfReadyTrue = func() readinessCheck {
	c := readinessCheck{Type: "MatchCondition"}
	c.MatchCondition.Type, c.MatchCondition.Status = xpv1.TypeReady, corev1.ConditionTrue
	return c
}()

type fn struct {
	fnv1.UnimplementedFunctionRunnerServiceServer
}

// RunFunction composes like P&T: every template is rendered from its base and
// patched from the observed XR; an observed composed resource keeps its name,
// lends its connection details to the XR, and is Ready per its checks.
func (fn) RunFunction(_ context.Context, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	rsp := response.To(req, response.DefaultTTL)
	if err := compose(req, rsp); err != nil {
		response.Fatal(rsp, err)
	}
	return rsp, nil
}

func compose(req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse) error {
	in := &resources{}
	raw, err := protojson.Marshal(req.GetInput())
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(in); err != nil {
		return fmt.Errorf("input uses more of function-patch-and-transform than this test function implements: %w", err)
	}
	if in.APIVersion != "pt.fn.crossplane.io/v1beta1" || in.Kind != "Resources" {
		return fmt.Errorf("input is %s %s, want pt.fn.crossplane.io/v1beta1 Resources", in.APIVersion, in.Kind)
	}
	oxr, err := request.GetObservedCompositeResource(req)
	if err != nil {
		return err
	}
	dxr, err := request.GetDesiredCompositeResource(req)
	if err != nil {
		return err
	}
	// Like P&T: the desired XR needs a kind for the SDK's conversions.
	dxr.Resource.SetAPIVersion(oxr.Resource.GetAPIVersion())
	dxr.Resource.SetKind(oxr.Resource.GetKind())
	observed, err := request.GetObservedComposedResources(req)
	if err != nil {
		return err
	}
	desired, err := request.GetDesiredComposedResources(req)
	if err != nil {
		return err
	}
	xr := fieldpath.Pave(oxr.Resource.Object)

	for _, t := range in.Resources {
		dcd := &resource.DesiredComposed{Resource: composed.New()}
		dcd.Resource.Object = deepCopy(t.Base)
		if ocd, ok := observed[resource.Name(t.Name)]; ok {
			// Keep the association with what exists, as P&T does.
			dcd.Resource.SetNamespace(ocd.Resource.GetNamespace())
			dcd.Resource.SetName(ocd.Resource.GetName())
			for _, cd := range t.ConnectionDetails {
				if cd.Type != "FromConnectionSecretKey" {
					return fmt.Errorf("resource %q: connection detail type %q is not implemented", t.Name, cd.Type)
				}
				if v, ok := ocd.ConnectionDetails[cd.FromConnectionSecretKey]; ok {
					dxr.ConnectionDetails[cd.Name] = v
				}
			}
			checks := t.ReadinessChecks
			if len(checks) == 0 {
				checks = []readinessCheck{readyIfReadyTrue}
			}
			ready := true
			for _, c := range checks {
				switch c.Type {
				case "None": // P&T's: ready once it exists (a ProviderConfig has no conditions).
				case "MatchCondition":
					ready = ready && ocd.Resource.GetCondition(c.MatchCondition.Type).Status == c.MatchCondition.Status
				default:
					return fmt.Errorf("resource %q: readiness check %q is not implemented", t.Name, c.Type)
				}
			}
			if ready {
				dcd.Ready = resource.ReadyTrue
			}
		}
		cd := fieldpath.Pave(dcd.Resource.Object)
		for _, p := range t.Patches {
			if p.Type != "" && p.Type != "FromCompositeFieldPath" {
				return fmt.Errorf("resource %q: patch type %q is not implemented", t.Name, p.Type)
			}
			v, err := xr.GetValue(p.FromFieldPath)
			if fieldpath.IsNotFound(err) {
				continue // P&T's default policy: an absent source skips the patch.
			}
			if err != nil {
				return err
			}
			for _, tr := range p.Transforms {
				if tr.Type != "string" || (tr.String.Type != "" && tr.String.Type != "Format") {
					return fmt.Errorf("resource %q: transform %s/%s is not implemented", t.Name, tr.Type, tr.String.Type)
				}
				v = fmt.Sprintf(tr.String.Fmt, v)
			}
			to := p.ToFieldPath
			if to == "" {
				to = p.FromFieldPath
			}
			if err := cd.SetValue(to, v); err != nil {
				return err
			}
		}
		desired[resource.Name(t.Name)] = dcd
	}
	if err := response.SetDesiredCompositeResource(rsp, dxr); err != nil {
		return err
	}
	return response.SetDesiredComposedResources(rsp, desired)
}

func deepCopy(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	out := map[string]any{}
	_ = json.Unmarshal(b, &out)
	return out
}

func main() {
	addr := flag.String("address", "127.0.0.1:9443", "where to serve gRPC")
	certs := flag.String("tls-certs-dir", "", "folder with tls.crt and tls.key (the server certificate, signed by Crossplane's root CA) and ca.crt (that CA, to verify Crossplane's client certificate)")
	flag.Parse()
	if *certs == "" {
		fmt.Fprintln(os.Stderr, "--tls-certs-dir is required: Crossplane only talks to functions over mutual TLS")
		os.Exit(2)
	}
	// No metrics server: its default port (:8080) would collide with
	// Crossplane's own on a shared test machine.
	err := function.Serve(fn{}, function.Listen("tcp", *addr), function.MTLSCertificates(*certs), function.WithMetricsServer(""))
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
