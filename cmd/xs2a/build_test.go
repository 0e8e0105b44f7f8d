package main_test

import (
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/shquote"
)

// buildXS2A builds the binary under test at path, to match the test run:
// with -race when the tests run with it (raceEnabled, race_test.go), so
// `go test -race` checks the command code the end-to-end tests drive and
// not only the test process.
//
// With XS2A_COVERDIR set (make cover sets it) the binary is built with
// -cover over the whole module and path becomes a small script that runs it
// with GOCOVERDIR pointing there: every helper that starts the binary,
// whatever environment it passes, then leaves its counters where make cover
// merges them with the unit tests' counters. The script execs, so signals
// and exit codes reach the test unchanged, and the real binary is also
// named xs2a.
func buildXS2A(path string) error {
	var flags []string
	coverMode := "set"
	if raceEnabled {
		// -race needs atomic counters when -cover is on too.
		flags, coverMode = append(flags, "-race"), "atomic"
	}
	coverDir := os.Getenv("XS2A_COVERDIR")
	if coverDir == "" {
		return goBuild(path, flags...)
	}
	abs, err := filepath.Abs(coverDir)
	if err != nil {
		return err
	}
	real := coveredBinary(path)
	if err := goBuild(real, append(flags, "-cover", "-covermode="+coverMode, "-coverpkg=github.com/xs2a-dev/xs2a/...")...); err != nil {
		return err
	}
	script := "#!/bin/sh\nGOCOVERDIR=" + shquote.Quote(abs) + " exec " + shquote.Quote(real) + " \"$@\"\n"
	return os.WriteFile(path, []byte(script), 0o755)
}

// coveredBinary is where buildXS2A puts the real binary when path is the
// script that sets GOCOVERDIR.
func coveredBinary(path string) string { return filepath.Join(filepath.Dir(path), "covered", "xs2a") }

func goBuild(out string, flags ...string) error {
	build := exec.Command("go", append(append([]string{"build"}, flags...), "-o", out, ".")...)
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build: %w", err)
	}
	return nil
}

// TestBinaryIsBuiltLikeTheTests: the binary under test carries -race
// exactly when the tests do.
func TestBinaryIsBuiltLikeTheTests(t *testing.T) {
	path := bin
	if os.Getenv("XS2A_COVERDIR") != "" {
		path = coveredBinary(bin)
	}
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	race := false
	for _, s := range info.Settings {
		race = race || s.Key == "-race" && s.Value == "true"
	}
	if race != raceEnabled {
		t.Errorf("binary under test built with -race=%v; the tests run with -race=%v", race, raceEnabled)
	}
}
