// Package consent implements `xs2a consent create|get|status|delete`, one
// file per verb.
package consent

import (
	"context"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/state"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
)

// NewCmdConsent builds the `xs2a consent` group.
func NewCmdConsent(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "consent",
		Short:   "Create, read and delete AIS consents",
		Example: "  xs2a consent create\n  xs2a consent status\n  xs2a consent delete",
		Args:    cmdutil.NoArgs,
		RunE:    cmdutil.MissingSubcommand,
	}
	cmd.AddCommand(NewCmdCreate(f, nil), NewCmdGet(f, nil), NewCmdStatus(f, nil), NewCmdDelete(f, nil))
	return cmd
}

// consentCall is what a consent management call starts with: the
// session and the consent id (given, or the last created). The call gets
// the client-credentials token from S.WithClientToken, which replaces a
// kept one the bank no longer knows.
type consentCall struct {
	S         *cmdutil.Session
	ConsentID string
}

// managed opens the session and gets the consent id.
func managed(_ context.Context, session func() (*cmdutil.Session, error), id string) (*consentCall, error) {
	s, err := session()
	if err != nil {
		return nil, err
	}
	if id, err = consentID(s, id); err != nil {
		return nil, err
	}
	return &consentCall{S: s, ConsentID: id}, nil
}

// consentID is the id given, else the last created one.
func consentID(s *cmdutil.Session, id string) (string, error) {
	if id != "" {
		return id, nil
	}
	st, err := s.Store.Load(s.Config.ProfileName)
	if err != nil {
		return "", err
	}
	if st.ConsentID == "" {
		return "", cmdutil.UsageErrorf("no consent id: give one, or run `xs2a consent create` first")
	}
	return st.ConsentID, nil
}

// argID is the optional ID argument of get, status and delete.
func argID(args []string) string {
	if len(args) == 1 {
		return args[0]
	}
	return ""
}

// completeConsent offers the consent id kept in the profile's state.
func completeConsent(f *cmdutil.Factory) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return cmdutil.StateCompletion(f, func(st *state.State) []string {
			if st.ConsentID == "" {
				return nil
			}
			return []string{st.ConsentID + "\t" + st.ConsentStatus}
		})
	}
}

// l is how the bank's strings (and ids it gave) are printed in text
// output: control characters escaped.
func l(s string) string { return termsafe.Line(s) }
