// Command xs2a is a Berlin Group NextGenPSD2 (XS2A) client, request signer
// and emulated bank for TPP developers.
package main

import (
	"os"

	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/app"
)

func main() {
	os.Exit(app.Main(os.Args[1:]))
}
