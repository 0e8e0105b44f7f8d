package config

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
)

// ProfilesOptions are what `xs2a config profiles` uses.
type ProfilesOptions struct {
	IO     *iostreams.IOStreams
	Config func() (*profile.Config, error)
}

// NewCmdProfiles builds `xs2a config profiles`.
func NewCmdProfiles(f *cmdutil.Factory, runF func(*ProfilesOptions) error) *cobra.Command {
	o := &ProfilesOptions{IO: f.IO, Config: f.Config}
	return &cobra.Command{
		Use:   "profiles",
		Short: "List the profiles of the config file, marking the one in effect",
		Long: `List the profiles the config file defines, one a line; the one in effect
(-p, XS2A_PROFILE, the file's profile:) is marked with *, and the file's
profile: is named. Shell completion of -p/--profile offers the same names.`,
		Example: `  xs2a config profiles
  xs2a config profiles -o json | jq -r '.profiles[].name'`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return profilesRun(o)
		},
	}
}

type profileEntry struct {
	Name    string `json:"name"`
	Current bool   `json:"current"`
	// FileDefault: the config file's profile: names it.
	FileDefault bool `json:"file_default"`
}

func profilesRun(o *ProfilesOptions) error {
	cfg, err := o.Config()
	if err != nil {
		return err
	}
	current := strings.ToLower(cfg.ProfileName)
	entries := []profileEntry{}
	for _, name := range cfg.Profiles {
		entries = append(entries, profileEntry{Name: name, Current: name == current, FileDefault: name == cfg.FileProfile})
	}
	if cfg.Output == "json" {
		var file *string
		if cfg.File != "" {
			file = &cfg.File
		}
		return cmdutil.WriteJSON(o.IO.Out, map[string]any{"config_file": file, "current": current, "profiles": entries})
	}
	if cfg.File == "" {
		fmt.Fprintf(o.IO.ErrOut, "no config file at %s: `xs2a sandbox serve --write-profile local` writes one\n", termsafe.Line(cfg.Path))
		return nil
	}
	if len(entries) == 0 {
		fmt.Fprintf(o.IO.ErrOut, "%s defines no profiles\n", termsafe.Line(cfg.File))
		return nil
	}
	for _, e := range entries {
		mark, note := " ", ""
		if e.Current {
			mark = "*"
		}
		if e.FileDefault {
			note = "  (the file's profile:)"
		}
		fmt.Fprintf(o.IO.Out, "%s %s%s\n", mark, termsafe.Line(e.Name), note)
	}
	return nil
}
