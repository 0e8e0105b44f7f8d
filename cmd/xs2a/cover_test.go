package main_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/xs2a-dev/xs2a/pkg/shquote"
)

// buildXS2A builds the binary under test at path. With XS2A_COVERDIR set
// (make cover sets it) the binary is built with -cover over the whole module
// and path becomes a small script that runs it with GOCOVERDIR pointing
// there: every helper that starts the binary, whatever environment it
// passes, then leaves its counters where make cover merges them with the
// unit tests' counters. The script execs, so signals and exit codes reach
// the test unchanged, and the real binary is also named xs2a.
func buildXS2A(path string) error {
	coverDir := os.Getenv("XS2A_COVERDIR")
	if coverDir == "" {
		return goBuild(path)
	}
	abs, err := filepath.Abs(coverDir)
	if err != nil {
		return err
	}
	real := filepath.Join(filepath.Dir(path), "covered", "xs2a")
	if err := goBuild(real, "-cover", "-covermode=set", "-coverpkg=github.com/xs2a-dev/xs2a/..."); err != nil {
		return err
	}
	script := "#!/bin/sh\nGOCOVERDIR=" + shquote.Quote(abs) + " exec " + shquote.Quote(real) + " \"$@\"\n"
	return os.WriteFile(path, []byte(script), 0o755)
}

func goBuild(out string, flags ...string) error {
	build := exec.Command("go", append(append([]string{"build"}, flags...), "-o", out, ".")...)
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build: %w", err)
	}
	return nil
}
