// Command etcd is upstream etcd, built from the module proxy so that envtest
// gets a real etcd without downloading a prebuilt release binary.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
