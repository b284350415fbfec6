//go:build generate

// Package apis generates the deepcopy methods, the managed resource method
// sets and the CRDs of provider-ory. Run `go generate ./apis` (or
// `make generate`); never edit a zz_generated file or package/crds by hand.
package apis

// Remove generated files first, so a deleted type leaves nothing behind.
//go:generate rm -rf ../package/crds
//go:generate bash -c "find . -name 'zz_generated*.go' -delete"

// The cluster-scoped twin of each namespaced kind marked //ory:clustertwin
// (zz_generated.<kind>_types.go); controller-gen and angryjet read it below.
//go:generate go run ../hack/clustertwin --from=namespaced/v1alpha1 --to=cluster/v1alpha1

//go:generate go tool controller-gen object:headerFile=../hack/boilerplate.go.txt paths=./... crd:allowDangerousTypes=false,crdVersions=v1 output:artifacts:config=../package/crds

//go:generate env GOFLAGS=-tags=generate go tool angryjet generate-methodsets --header-file=../hack/boilerplate.go.txt ./...
