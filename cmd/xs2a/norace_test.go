//go:build !race

package main_test

// raceEnabled: this test binary was built without -race (see race_test.go).
const raceEnabled = false
