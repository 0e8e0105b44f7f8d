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
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmd/consent"
	"github.com/xs2a-dev/xs2a/cmd/xs2a/internal/cmd/flow"
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
	return execute(ctx, NewCmdRoot(f), args, ios)
}

// execute runs the command tree and is the boundary where an error becomes
// its exit code and the one error line on stderr (cmdutil.Classify).
func execute(ctx context.Context, root *cobra.Command, args []string, ios *iostreams.IOStreams) int {
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
	code, msg := cmdutil.Classify(err)
	if msg == "" {
		return code
	}
	cs := ios.ErrColorScheme()
	// The one place errors reach stderr: the bank's tppMessages, OAuth
	// error_description and header values in them are shown escaped.
	fmt.Fprintf(ios.ErrOut, "%s %s\n", cs.Red("xs2a: error:"), termsafe.Line(text.OneLine(msg)))
	return code
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
			cfg, cfgErr = loadConfig(cmd)
			if cfgErr != nil {
				return cfgErr
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
		accounts.NewCmdAccounts(f), api.NewCmdAPI(f, nil), proxy.NewCmdProxy(f, nil), replay.NewCmdReplay(f, nil))
	group("debug", sign.NewCmdSign(f, nil), certs.NewCmdCerts(f), sandbox.NewCmdSandbox(f))
	root.AddCommand(version.NewCmdVersion(f, nil))
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
