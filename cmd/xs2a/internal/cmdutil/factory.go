// Package cmdutil is what the xs2a commands share, so that no command
// package imports another: the Factory of dependencies, the Session a
// network command works with (its OAuth side in tokens.go, the PSU's
// authorization in authorize.go), the exit codes and the one map from an
// error to its code (Classify), the output helpers, and the profile that
// points at a sandbox (SandboxProfile).
package cmdutil

import (
	"bytes"
	"encoding/json"
	"io"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
)

// Factory holds the dependencies commands need. Config is lazy because it is
// resolved only after flags are parsed.
type Factory struct {
	IO      *iostreams.IOStreams
	Config  func() (*profile.Config, error)
	Now     func() time.Time
	Version string
	Browser Browser
	// PSUIPAddress overrides the profile's psu_ip_address (--psu-ip).
	PSUIPAddress string
}

// AnnotationWritesConfig marks commands that may create the config file, so
// a --config naming a file that does not exist yet is not an error for them.
const AnnotationWritesConfig = "xs2a/writes-config"

// WriteJSON writes v as one indented JSON document. The bank's strings in
// it keep their value, but DEL, C1 and bidi characters, which encoding/json
// leaves raw, are written escaped like the C0 controls it escapes, so that
// a cat of the output cannot drive the terminal.
func WriteJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(termsafe.JSON(buf.Bytes()))
	return err
}

// WantsJSON reports whether --output json was asked for, for a command
// without a session; config is the Factory's (resolved after the flags).
func WantsJSON(config func() (*profile.Config, error)) bool {
	cfg, err := config()
	return err == nil && cfg.Output == "json"
}

// BankBody is the bank's answer as -o json gives it under bank_response:
// the body as the bank wrote it when the call kept it (xs2a.KeepAnswer),
// else read, the answer as the client read it, in the same names.
func BankBody(kept json.RawMessage, read any) any {
	if len(kept) > 0 && json.Valid(kept) {
		return kept
	}
	return read
}
