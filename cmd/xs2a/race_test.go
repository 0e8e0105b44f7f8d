//go:build race

package main_test

// raceEnabled: this test binary was built with -race, so the xs2a binary the
// tests run may be too (raceBinary, build_test.go), and the race detector
// then sees the command code the end-to-end tests drive.
const raceEnabled = true
