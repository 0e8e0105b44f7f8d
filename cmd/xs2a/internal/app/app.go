// Package app is the root of the xs2a command tree: global flags, the
// configuration, and the one place where errors become exit codes.
package app

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmd/accounts"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmd/api"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmd/authorize"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmd/certs"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmd/config"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmd/consent"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmd/flow"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmd/funds"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmd/payment"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmd/proxy"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmd/replay"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmd/sandbox"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmd/sign"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmd/token"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmd/version"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmdutil"
	"github.com/xs2a-dev/xs2a/pkg/iostreams"
	"github.com/xs2a-dev/xs2a/pkg/profile"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
	"github.com/xs2a-dev/xs2a/pkg/text"
)

// Version is set with -ldflags "-X .../app.Version=v1.2.3".
var Version = ""

// Main runs xs2a with the process's streams and returns the exit code.
func Main(args []string) int {
	return Run(args, iostreams.System())
}

// Run executes one invocation; it never calls os.Exit and never panics out.
func Run(args []string, ios *iostreams.IOStreams) int {
	f := &cmdutil.Factory{IO: ios, Now: time.Now, Version: versionString(), Browser: cmdutil.SystemBrowser{Stderr: ios.ErrOut}}
	if v := os.Getenv("XS2A_FAKE_NOW"); v != "" {
		// For tests only: the budget's days must be driven to the bank's
		// midnight, which no test can wait for.
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			fmt.Fprintf(ios.ErrOut, "xs2a: error: XS2A_FAKE_NOW %q is not an RFC 3339 time\n", v)
			return cmdutil.ExitUsage
		}
		f.Now = func() time.Time { return t }
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return RunFactory(ctx, f, args)
}

// RunFactory is Run with the dependencies given: the in-process command
// tests (cmdtest) pass test streams, a fixed clock, a stub browser, and a
// context they cancel to stop a long-running command as Ctrl-C would.
func RunFactory(ctx context.Context, f *cmdutil.Factory, args []string) (code int) {
	ios := f.IO
	defer func() {
		if r := recover(); r != nil {
			if os.Getenv("XS2A_DEBUG") == "1" {
				fmt.Fprintf(ios.ErrOut, "xs2a: internal error: %v\n%s", r, debug.Stack())
			} else {
				fmt.Fprintf(ios.ErrOut, "xs2a: internal error: %s (please report it; XS2A_DEBUG=1 shows the stack)\n", termsafe.Line(fmt.Sprint(r)))
			}
			code = cmdutil.ExitFailure
		}
	}()
	root := NewCmdRoot(f)
	return execute(ctx, root, args, ios, func() bool { return errorsAsJSON(root, f, args) }, func() string { return invocationOf(f) })
}

// errorsAsJSON reports -o json in effect, for the error object: from the
// flag and the environment first, since the error may be that the config
// could not be loaded, then from the config. The flag is read from args
// when cobra did not get to parse it (an unknown command).
func errorsAsJSON(root *cobra.Command, f *cmdutil.Factory, args []string) bool {
	if fl := root.PersistentFlags().Lookup("output"); fl != nil && fl.Changed {
		return strings.EqualFold(fl.Value.String(), "json")
	}
	if v, ok := outputArg(args); ok {
		return strings.EqualFold(v, "json")
	}
	if v := os.Getenv("XS2A_OUTPUT"); v != "" {
		return strings.EqualFold(v, "json")
	}
	cfg, err := f.Config()
	return err == nil && cfg != nil && cfg.Output == "json"
}

// invocationOf is how to run xs2a again as this run was configured
// (profile.Config.Invocation), "xs2a" before or without a configuration.
func invocationOf(f *cmdutil.Factory) string {
	if cfg, err := f.Config(); err == nil && cfg != nil && cfg.Invocation != "" {
		return cfg.Invocation
	}
	return "xs2a"
}

// execute runs the command tree and is the boundary where an error becomes
// its exit code and the one error line on stderr (cmdutil.Classify).
// With -o json (wantJSON) the error is one JSON object on one stderr line
// instead (cmdutil.Failure.JSON); stdout is untouched either way.
//
// The commands a message or hint names (`xs2a certs check`) are said with
// the --config and -p this run was given (again), so that pasting one runs
// it on the same profile rather than the file's default.
func execute(ctx context.Context, root *cobra.Command, args []string, ios *iostreams.IOStreams, wantJSON func() bool, again func() string) int {
	root.SetArgs(args)
	root.SetIn(ios.In)
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)
	// Colour is settled by the config in PersistentPreRunE, which a bad
	// flag or config never reaches: the raw words and the environment
	// settle it first, so that their error line obeys --no-color too.
	ios.SetColorDisabled(noColorAsked(args))
	c, err := root.ExecuteContextC(ctx)
	if c == root && err != nil && cmdutil.CodeOf(err) == cmdutil.ExitFailure {
		// The root runs nothing of its own (no Run, no Args: cobra's
		// lookup checks its words) and its flag errors are usage errors
		// already (SetFlagErrorFunc), so an error cobra charges to the
		// root is its lookup of a word that names no command: said as a
		// group says it (cmdutil.UnknownCommand), on one line.
		var word string
		if _, serr := fmt.Sscanf(err.Error(), "unknown command %q", &word); serr == nil {
			err = cmdutil.UnknownCommand(root, word)
		} else {
			err = cmdutil.UsageError(err)
		}
	}
	fail := cmdutil.Describe(err)
	if inv := again(); inv != "xs2a" {
		fail.Message = strings.ReplaceAll(fail.Message, "`xs2a ", "`"+inv+" ")
		fail.Hint = strings.ReplaceAll(fail.Hint, "`xs2a ", "`"+inv+" ")
	}
	code, msg := fail.ExitCode, fail.Line()
	if msg == "" {
		return code
	}
	if wantJSON != nil && wantJSON() {
		fail.Message, fail.Hint = text.OneLine(fail.Message), text.OneLine(fail.Hint)
		fmt.Fprintf(ios.ErrOut, "%s\n", termsafe.JSON(fail.JSON()))
		return code
	}
	cs := ios.ErrColorScheme()
	// The one place errors reach stderr: the bank's tppMessages, OAuth
	// error_description and header values in them are shown escaped.
	fmt.Fprintf(ios.ErrOut, "%s %s\n", cs.Red("xs2a: error:"), termsafe.Line(text.OneLine(msg)))
	return code
}

// outputArg is the last -o/--output value in args, before any "--".
func outputArg(args []string) (v string, ok bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return v, ok
		case (a == "-o" || a == "--output") && i+1 < len(args):
			v, ok = args[i+1], true
			i++
		case strings.HasPrefix(a, "--output="):
			v, ok = strings.TrimPrefix(a, "--output="), true
		case strings.HasPrefix(a, "-o") && !strings.HasPrefix(a, "--"):
			v, ok = strings.TrimPrefix(strings.TrimPrefix(a, "-o"), "="), true
		}
	}
	return v, ok
}

// noColorAsked reports what viper will make of --no-color and
// XS2A_NO_COLOR, from the raw words: the last --no-color before "--"
// (bare, or =BOOL), else XS2A_NO_COLOR when it is a true boolean.
func noColorAsked(args []string) bool {
	flag, given := false, false
	for _, a := range args {
		if a == "--" {
			break
		}
		switch v, ok := strings.CutPrefix(a, "--no-color"); {
		case !ok:
		case v == "":
			flag, given = true, true
		case strings.HasPrefix(v, "="):
			if on, err := strconv.ParseBool(v[1:]); err == nil {
				flag, given = on, true
			}
		}
	}
	if given {
		return flag
	}
	on, err := strconv.ParseBool(os.Getenv("XS2A_NO_COLOR"))
	return err == nil && on
}

// versionString is Version when -ldflags set it, else the module version
// that `go install` stamps into the binary, else "dev".
func versionString() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// NewCmdRoot builds the command tree.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	var cfg *profile.Config
	// cfgErr is what Factory.Config answers with cfg: a named config
	// file that does not exist fails only the commands that ask for it.
	var cfgErr error
	root := &cobra.Command{
		Use:   "xs2a",
		Short: "Berlin Group NextGenPSD2 (XS2A) client, request signer and emulated bank for TPP developers",
		Long: `xs2a calls Berlin Group NextGenPSD2 Account Information APIs from the terminal,
signs requests the way ASPSPs demand and explains exactly why a signature,
certificate or token is rejected.`,
		Example: `  xs2a sandbox serve --write-profile sandbox   # an emulated bank, and a profile for it
  xs2a -p sandbox flow                         # token, consent, authorization, accounts
  xs2a -p sandbox accounts list
  xs2a sign --method POST --url https://bank.example/v1/consents --body-file consent.json --key qseal.key --cert qseal.pem`,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			var err error
			cfg, cfgErr, err = loadConfig(cmd)
			if err != nil {
				cfgErr = err
				return err
			}
			f.IO.SetColorDisabled(cfg.NoColor)
			return nil
		},
	}
	f.Config = func() (*profile.Config, error) {
		if cfg == nil && cfgErr == nil {
			return &profile.Config{Output: "text"}, nil
		}
		return cfg, cfgErr
	}
	pf := root.PersistentFlags()
	pf.String("config", "", "config file (default "+DefaultConfigPath()+", or $XS2A_CONFIG)")
	pf.StringP("profile", "p", "default", "profile (ASPSP environment) from the config file ($XS2A_PROFILE)")
	pf.StringP("output", "o", "text", "output format: text or json ($XS2A_OUTPUT)")
	pf.Bool("no-color", false, "never colour output (also NO_COLOR)")
	pf.BoolP("verbose", "v", false, "show more detail on stderr (for network commands: a trace of every request, secrets redacted)")
	pf.Bool("insecure", false, "do not verify the ASPSP's TLS certificate (dangerous: anyone on the path can read tokens; for debugging a broken server setup only)")
	pf.Bool("show-secrets", false, "print tokens, codes, client secrets and API keys in full instead of masked")
	pf.Bool("strict-budget", false, "refuse a call beyond the consent's frequencyPerDay or the TPP's daily limit before sending it (exit 8; also the profile's budget.strict)")
	pf.String("record", "", "record every HTTP exchange to one JSON file each in `DIR`, secrets redacted ($XS2A_RECORD)")
	_ = root.MarkPersistentFlagDirname("record")
	_ = root.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp
	})
	// -p <TAB> offers the config file's profiles (the one --config or
	// XS2A_CONFIG names, if given before), not file names.
	_ = root.RegisterFlagCompletionFunc("profile", func(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		path, _ := configPath(cmd)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		names, _ := profile.FileProfiles(data)
		return names, cobra.ShellCompDirectiveNoFileComp
	})
	root.SetFlagErrorFunc(cmdutil.FlagError)
	// --version is cobra's (root.Version), declared here so that it does
	// not take -v (--verbose), and printing what `xs2a version` prints.
	root.Version = f.Version
	root.Flags().Bool("version", false, "print the xs2a version (as 'xs2a version' does)")
	root.SetVersionTemplate(version.Line(f.Version) + "\n")

	root.AddGroup(&cobra.Group{ID: "flow", Title: "The bank's flow:"}, &cobra.Group{ID: "debug", Title: "Signatures, certificates and the emulated bank:"})
	group := func(id string, cmds ...*cobra.Command) {
		for _, c := range cmds {
			c.GroupID = id
			root.AddCommand(c)
		}
	}
	group("flow", flow.NewCmdFlow(f, nil), token.NewCmdToken(f, nil), consent.NewCmdConsent(f), authorize.NewCmdAuthorize(f, nil),
		accounts.NewCmdAccounts(f), funds.NewCmdFundsConfirmation(f, nil), payment.NewCmdPayment(f), api.NewCmdAPI(f, nil), proxy.NewCmdProxy(f, nil), replay.NewCmdReplay(f, nil))
	group("debug", sign.NewCmdSign(f, nil), certs.NewCmdCerts(f), sandbox.NewCmdSandbox(f))
	root.AddCommand(version.NewCmdVersion(f, nil), config.NewCmdConfig(f))
	// cobra's completion command (added here rather than by Execute, so
	// that it is in the tree now) checks its arguments with cobra's own
	// validators, whose errors are plain: every validator's error is a
	// usage error, whatever its wording.
	root.InitDefaultCompletionCmd()
	completionExamples(root)
	wrapArgs(root)
	return root
}

// completionExamples gives cobra's completion commands an example each,
// as every command of xs2a has one.
func completionExamples(root *cobra.Command) {
	examples := map[string]string{
		"bash":       "  source <(xs2a completion bash)\n  xs2a completion bash > ~/.local/share/bash-completion/completions/xs2a",
		"zsh":        "  xs2a completion zsh > \"${fpath[1]}/_xs2a\"",
		"fish":       "  xs2a completion fish > ~/.config/fish/completions/xs2a.fish",
		"powershell": "  xs2a completion powershell | Out-String | Invoke-Expression",
	}
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Example = "  xs2a completion bash\n  xs2a completion zsh"
		for _, sub := range c.Commands() {
			sub.Example = examples[sub.Name()]
		}
	}
}

// wrapArgs makes every command's positional-argument errors usage errors
// (cmdutil.UsageArgs), down the whole tree: the ones cobra adds itself
// (completion) included, whose validators return plain errors.
func wrapArgs(c *cobra.Command) {
	if c.Args != nil {
		c.Args = cmdutil.UsageArgs(c.Args)
	}
	for _, sub := range c.Commands() {
		wrapArgs(sub)
	}
}
