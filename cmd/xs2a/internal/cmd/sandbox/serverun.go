package sandbox

import "context"

// ServeRun runs `xs2a sandbox serve` with o until ctx ends. It is exported
// for the in-process command tests (cmdtest), which start their bank the
// way `serve --write-profile` does and take the server from o.Ready.
func ServeRun(ctx context.Context, o *ServeOptions) error { return serveRun(ctx, o) }
