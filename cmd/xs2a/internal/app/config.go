package app

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/shquote"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
)

// DefaultConfigPath is $XDG_CONFIG_HOME/xs2a/config.yaml (or the platform's equivalent).
func DefaultConfigPath() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "xs2a", "config.yaml")
}

// loadConfig resolves the configuration with the usual precedence:
// flags > XS2A_* environment > config file > defaults. Viper stays in this
// package; commands only ever see the typed profile.Config.
//
// A config file named by XS2A_CONFIG that does not exist is no error
// here: it is returned as missing, with the configuration of flags and
// environment, so that a command that needs no profile (sign verify of a
// file, certs generate, version) still runs, and one that asks for its
// configuration (Factory.Config) gets the one clear line. --config,
// typed for this command, must name a file that exists.
func loadConfig(cmd *cobra.Command) (cfg *profile.Config, missing error, err error) {
	v, err := newViper(cmd)
	if err != nil {
		return nil, nil, err
	}
	path, explicit := configPath(cmd)
	cfg = &profile.Config{Path: path, Explicit: explicit}
	if missing, err = readConfigFile(cmd, v, cfg); err != nil {
		return nil, nil, err
	}

	cfg.Output = strings.ToLower(v.GetString("output"))
	if err := profile.ValidateOutput(cfg.Output); err != nil {
		return nil, nil, cmdutil.UsageError(err)
	}
	warnMistypedEnv(cmd)
	cfg.Sources = map[string]string{}
	for _, k := range profile.GlobalKeys {
		cfg.Sources[k] = globalSource(cmd, v, k)
	}
	cfg.NoColor = v.GetBool("no_color")
	cfg.Verbose = v.GetBool("verbose")
	cfg.Insecure = v.GetBool("insecure")
	cfg.ShowSecrets = v.GetBool("show_secrets")
	cfg.Record = expandHome(v.GetString("record"))
	cfg.ProfileName = v.GetString("profile")
	cfg.Invocation = invocation(cmd, cfg)
	if err := readProfile(cmd, v, cfg, missing == nil); err != nil {
		return nil, nil, err
	}
	return cfg, missing, nil
}

// newViper is the XS2A_* environment and the global flags over the
// defaults; the config file is read into it next.
func newViper(cmd *cobra.Command) (*viper.Viper, error) {
	v := viper.New()
	v.SetEnvPrefix("XS2A")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_", "-", "_"))
	v.AutomaticEnv()
	v.SetDefault("output", "text")
	v.SetDefault("profile", "default")
	for _, name := range []string{"profile", "output", "no-color", "verbose", "insecure", "show-secrets", "record"} {
		if fl := cmd.Flags().Lookup(name); fl != nil {
			if err := v.BindPFlag(strings.ReplaceAll(name, "-", "_"), fl); err != nil {
				return nil, err
			}
		}
	}
	return v, nil
}

// configPath is the config file's path: --config, else XS2A_CONFIG (both
// explicit), else the default.
func configPath(cmd *cobra.Command) (path string, explicit bool) {
	if fl := cmd.Flags().Lookup("config"); fl != nil && fl.Changed {
		return fl.Value.String(), true
	}
	if p := os.Getenv("XS2A_CONFIG"); p != "" {
		return p, true
	}
	return DefaultConfigPath(), false
}

// configSource names where the config file's path came from, for errors.
func configSource(cmd *cobra.Command) string {
	if fl := cmd.Flags().Lookup("config"); fl != nil && fl.Changed {
		return "--config"
	}
	if os.Getenv("XS2A_CONFIG") != "" {
		return "XS2A_CONFIG"
	}
	return "the default place"
}

// readConfigFile checks cfg.Path (profile.CheckFile: its YAML and its
// keys) and reads it into v, setting cfg.File when there is one. A missing
// file is no error; one that was named is returned as missing unless the
// command creates it.
func readConfigFile(cmd *cobra.Command, v *viper.Viper, cfg *profile.Config) (missing error, err error) {
	path := cfg.Path
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && (!cfg.Explicit || cmd.Annotations[cmdutil.AnnotationWritesConfig] != ""):
		// No config yet: fine, everything comes from flags and
		// environment, or the command is about to create it.
		return nil, nil
	case errors.Is(err, fs.ErrNotExist) && configSource(cmd) == "--config":
		// Typed for this very command: a typo to say at once.
		return nil, cmdutil.UsageErrorf("config file %s does not exist", termsafe.Line(path))
	case errors.Is(err, fs.ErrNotExist):
		// XS2A_CONFIG is set once for a shell: only the commands that
		// read a profile fail for it.
		return cmdutil.UsageErrorf("config file %s (XS2A_CONFIG) does not exist", termsafe.Line(path)), nil
	case err != nil:
		return nil, cmdutil.UsageErrorf("config file %s: %v", termsafe.Line(path), err)
	}
	if err := profile.CheckFile(data); err != nil {
		return nil, cmdutil.UsageErrorf("config file %s %v", termsafe.Line(path), err)
	}
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
		return nil, cmdutil.UsageErrorf("config file %s: %v", termsafe.Line(path), err)
	}
	cfg.File = path
	cfg.Profiles, cfg.FileProfile = profile.FileProfiles(data)
	slices.Sort(cfg.Profiles)
	warnReadableSecrets(cmd, v, path)
	return nil, nil
}

// readProfile fills cfg.Profile from profile cfg.ProfileName, each key's
// XS2A_* variable over the file's value; a profile asked for by name must
// exist.
func readProfile(cmd *cobra.Command, v *viper.Viper, cfg *profile.Config, checkName bool) error {
	profiles := v.GetStringMap("profiles")
	if _, ok := profiles[strings.ToLower(cfg.ProfileName)]; !ok && checkName && profileChosen(cmd) {
		names := make([]string, 0, len(profiles))
		for k := range profiles {
			names = append(names, k)
		}
		slices.Sort(names)
		where := "no config file"
		if cfg.File != "" {
			where = cfg.File
		}
		return cmdutil.UsageErrorf("profile %q is not defined (%s; profiles: %s)", cfg.ProfileName, where, strings.Join(names, ", "))
	}
	for _, key := range profile.Keys {
		env := "XS2A_" + strings.ToUpper(strings.NewReplacer(".", "_").Replace(key))
		val := os.Getenv(env)
		src := "environment " + env
		if val == "" {
			src = "file"
			k := "profiles." + strings.ToLower(cfg.ProfileName) + "." + key
			val = v.GetString(k)
			if _, ok := v.Get(k).([]any); ok { // a YAML list, e.g. registered_redirect_uris
				val = strings.Join(v.GetStringSlice(k), ",")
			}
		}
		if val != "" {
			if err := cfg.Profile.Set(key, expandHome(val)); err != nil {
				// A value the profile refuses (a scope template without its
				// placeholder) is bad config: exit 2, naming where it came from.
				return cmdutil.UsageErrorf("profile %q (%s): %v", cfg.ProfileName, src, err)
			}
			cfg.Sources[key] = src
		}
	}
	// The flag, given, overrides the profile's budget.strict either way.
	if fl := cmd.Flags().Lookup("strict-budget"); fl != nil && fl.Changed {
		cfg.Profile.Budget.Strict = fl.Value.String()
		cfg.Sources["budget.strict"] = "flag --strict-budget"
	}
	return nil
}

// warnReadableSecrets warns once, as ssh does of a key file, when the
// config file holds a client secret or an API key and group or others
// have any permission on it; it names the keys held, so the user knows
// what may already have been read.
func warnReadableSecrets(cmd *cobra.Command, v *viper.Viper, path string) {
	if runtime.GOOS == "windows" || strings.HasPrefix(cmd.Name(), cobra.ShellCompRequestCmd) {
		return // no POSIX mode bits; completion output is no place for it
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return
	}
	var held []string
	for _, p := range v.GetStringMap("profiles") {
		keys, _ := p.(map[string]any)
		for _, k := range []string{"client_secret", "api_key"} {
			if s, _ := keys[k].(string); s != "" && !slices.Contains(held, k) {
				held = append(held, k)
			}
		}
	}
	if len(held) == 0 {
		return
	}
	slices.Sort(held)
	who := "others"
	if fi.Mode().Perm()&0o007 == 0 {
		who = "its group"
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "warning: config file %s holds %s and %s can read it (mode %04o): chmod 600 %s\n",
		termsafe.Line(path), strings.Join(held, " and "), who, fi.Mode().Perm(), termsafe.Line(path))
}

// warnMistypedEnv warns of an XS2A_* variable that is no setting but
// close to one (XS2A_CLIENT_SECRT): set in a shell profile, it would be
// ignored as silently as a typo in the file. Variables close to none are
// left alone: tests and tools have XS2A_* of their own.
func warnMistypedEnv(cmd *cobra.Command) {
	if strings.HasPrefix(cmd.Name(), cobra.ShellCompRequestCmd) {
		return
	}
	known := []string{"config", "fake_now", "debug"}
	known = append(known, profile.GlobalKeys...)
	for _, k := range profile.Keys {
		known = append(known, strings.ReplaceAll(k, ".", "_"))
	}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		key, ok := strings.CutPrefix(name, "XS2A_")
		if !ok || key == "" || slices.Contains(known, strings.ToLower(key)) {
			continue
		}
		if s := profile.Suggest(strings.ToLower(key), known); len(s) > 0 {
			for i := range s {
				s[i] = "XS2A_" + strings.ToUpper(s[i])
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s is no xs2a setting and is ignored; did you mean %s?\n", termsafe.Line(name), strings.Join(s, " or "))
		}
	}
}

// globalSource is where a global key's value came from, by viper's
// precedence: flag, environment, file, default.
func globalSource(cmd *cobra.Command, v *viper.Viper, key string) string {
	flag := strings.ReplaceAll(key, "_", "-")
	if fl := cmd.Flags().Lookup(flag); fl != nil && fl.Changed {
		return "flag --" + flag
	}
	if env := "XS2A_" + strings.ToUpper(key); os.Getenv(env) != "" {
		return "environment " + env
	}
	if v.InConfig(key) {
		return "file"
	}
	return "default"
}

func profileChosen(cmd *cobra.Command) bool {
	if fl := cmd.Flags().Lookup("profile"); fl != nil && fl.Changed {
		return true
	}
	return os.Getenv("XS2A_PROFILE") != ""
}

func expandHome(p string) string {
	if strings.HasPrefix(p, "~/") {
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, p[2:])
		}
	}
	return p
}

// invocation is profile.Config.Invocation: "xs2a" and the --config and
// -p flags that were given, each word quoted for a shell.
func invocation(cmd *cobra.Command, cfg *profile.Config) string {
	inv := "xs2a"
	if fl := cmd.Flags().Lookup("config"); fl != nil && fl.Changed && cfg.Path != "" {
		inv += " --config " + shquote.Arg(cfg.Path)
	}
	if fl := cmd.Flags().Lookup("profile"); fl != nil && fl.Changed {
		inv += " -p " + shquote.Arg(cfg.ProfileName)
	}
	return inv
}
