//go:build race

package main_test

// raceEnabled: this test binary was built with -race, so the xs2a binary the
// tests run is built with it too, and the race detector sees the command
// code the end-to-end tests drive.
const raceEnabled = true
