// Package localenv is the one place that knows how to start provider-ory's
// local world, for `make run` (cmd/localrun), the e2e test (test/e2e) and
// the tests and benchmarks that drive the provider binary from outside:
//
//   - a control plane: etcd and kube-apiserver through envtest, with the CRDs
//     of package/crds installed, and kube-controller-manager running the
//     garbage collector (so connection Secrets and ProviderConfigUsages go
//     away with their owners, as on a real cluster) and the namespace
//     controller (so a deleted namespace is emptied and goes away);
//   - the Ory console simulator (internal/orysim), in process, seeded with
//     the placeholders the examples use (see SeedExamples);
//   - the provider binary built from ./cmd/provider, as its own process,
//     which can be stopped, killed with SIGKILL and started again, and whose
//     PID and peak RSS can be read (see Provider).
//
// It also applies YAML files (multi-document) with server-side apply, and
// applies the shipped examples unchanged, pointing their ProviderConfigs at
// the simulator with a patch of spec.consoleURL and spec.projectAPIURLTemplate
// (see Env.ApplyExamples).
//
// A typical caller:
//
//	env, err := localenv.Start(ctx, localenv.Options{})
//	if err != nil { ... }
//	defer env.Close()
//	bin, err := localenv.BuildProvider(ctx, env.Root, env.Dir, "v0.0.0-dev")
//	p := env.NewProvider(localenv.ProviderOptions{Binary: bin})
//	err = p.Start()
//	objs, err := env.ApplyExamples(ctx)
//	keys, err := localenv.KeyStatuses(ctx, env.Client)
//
// No process outlives its caller. Env.Close stops the provider processes,
// kube-controller-manager, kube-apiserver and etcd and removes the work
// folder; and should the caller die without calling Close (a panic, a test
// timeout, SIGKILL), a small watchdog process it started kills every child
// within a second and removes the work folder.
package localenv
