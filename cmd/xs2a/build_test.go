package main_test

import (
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/shquote"
)

// raceBinary: build the binary under test with -race. Only when the tests
// run with it (raceEnabled, race_test.go) and XS2A_RACE_BINARY is set (CI
// sets it): a race build starts about 60 ms slower and generates keys
// about 4 times slower, and the tests run it hundreds of times, which took
// this package under -race from 102 s to 197 s on two cores.
func raceBinary() bool { return raceEnabled && os.Getenv("XS2A_RACE_BINARY") != "" }

// buildXS2A builds the binary under test at path: with -race when
// raceBinary, so `go test -race` checks the command code the end-to-end
// tests drive and not only the test process; with -cover over the whole
// module when XS2A_COVERDIR is set (make cover sets it).
//
// Either way path becomes a small script that sets the environment such a
// build needs and execs the real binary (realBinary), so every helper that
// starts the binary, whatever environment it passes, gets it:
//   - GOCOVERDIR, so the binary leaves its counters where make cover merges
//     them with the unit tests' counters;
//   - GORACE=atexit_sleep_ms=0: a race build otherwise sleeps a second
//     before every exit (to let other goroutines report), and the tests
//     run the binary hundreds of times. A race found still fails the run:
//     the binary exits 66 and prints the report on stderr. GORACE of the
//     test run comes after, so it can say otherwise.
//
// The script execs, so signals and exit codes reach the test unchanged, and
// the real binary is also named xs2a.
func buildXS2A(path string) error {
	var flags, env []string
	coverMode := "set"
	if raceBinary() {
		flags = append(flags, "-race")
		env = append(env, "GORACE="+shquote.Quote(strings.TrimSpace("atexit_sleep_ms=0 "+os.Getenv("GORACE"))))
		coverMode = "atomic" // -race needs atomic counters when -cover is on too
	}
	if coverDir := os.Getenv("XS2A_COVERDIR"); coverDir != "" {
		abs, err := filepath.Abs(coverDir)
		if err != nil {
			return err
		}
		flags = append(flags, "-cover", "-covermode="+coverMode, "-coverpkg=github.com/xs2a-dev/xs2a/...")
		env = append(env, "GOCOVERDIR="+shquote.Quote(abs))
	}
	if len(env) == 0 {
		return goBuild(path)
	}
	real := realBinary(path)
	if err := goBuild(real, flags...); err != nil {
		return err
	}
	script := "#!/bin/sh\n" + strings.Join(env, " ") + " exec " + shquote.Quote(real) + " \"$@\"\n"
	return os.WriteFile(path, []byte(script), 0o755)
}

// realBinary is where buildXS2A puts the binary when path is its script.
func realBinary(path string) string { return filepath.Join(filepath.Dir(path), "built", "xs2a") }

func goBuild(out string, flags ...string) error {
	build := exec.Command("go", append(append([]string{"build"}, flags...), "-o", out, ".")...)
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build: %w", err)
	}
	return nil
}

// TestBinaryIsBuiltLikeTheTests: the binary under test carries -race
// exactly when raceBinary says so.
func TestBinaryIsBuiltLikeTheTests(t *testing.T) {
	path := bin
	if raceBinary() || os.Getenv("XS2A_COVERDIR") != "" {
		path = realBinary(bin)
	}
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	race := false
	for _, s := range info.Settings {
		race = race || s.Key == "-race" && s.Value == "true"
	}
	if race != raceBinary() {
		t.Errorf("binary under test built with -race=%v; want %v (tests with -race: %v, XS2A_RACE_BINARY=%q)",
			race, raceBinary(), raceEnabled, os.Getenv("XS2A_RACE_BINARY"))
	}
}
