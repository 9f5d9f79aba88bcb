// Package cmd holds the lakehouse subcommands: flags -> options -> run.
// Exit codes are decided here and nowhere else.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lakehouse-dev/lakehouse/telemetry"
)

// Exit codes (SPEC section 4).
const (
	ExitOK     = 0
	ExitFailed = 1 // at least one task failed
	ExitUsage  = 2 // bad usage or configuration, nothing fetched or written
)

// IO is where a command reads and writes, and its clock.
type IO struct {
	Out, Err io.Writer
	Getenv   func(string) string
	Now      func() time.Time
	// SetMemoryLimit is runtime/debug.SetMemoryLimit in the real process;
	// nil (in-process tests) leaves the Go runtime alone.
	SetMemoryLimit func(int64) int64
}

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError marks bad input: exit 2.
func usageError(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// globalOptions are the flags every subcommand has.
type globalOptions struct {
	logLevel   string
	logFormat  string
	configFile string
	// sources says where each flag's value came from (config.go).
	sources map[string]string
	prof    profiles
}

// logger builds the run's logger, or a usage error.
func (g *globalOptions) logger(w io.Writer) (*slog.Logger, error) {
	l, err := telemetry.NewLogger(w, g.logLevel, g.logFormat)
	if err != nil {
		return nil, &exitError{code: ExitUsage, err: err}
	}
	return l, nil
}

// NewRootCmd builds the command tree.
func NewRootCmd(io IO) *cobra.Command {
	root, _ := newRoot(io)
	return root
}

func newRoot(io IO) (*cobra.Command, *globalOptions) {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:           "lakehouse",
		Short:         "Keep a Parquet data lake of Binance klines current",
		Long:          "lakehouse fetches Binance klines, turns them into Arrow record batches and writes Parquet to a local folder (or S3), safely and idempotently.",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(c *cobra.Command, _ []string) error {
			if err := g.applySettings(c, io.Getenv); err != nil {
				return err
			}
			return g.prof.start()
		},
	}
	root.SetOut(io.Out)
	root.SetErr(io.Err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{code: ExitUsage, err: err}
	})
	pf := root.PersistentFlags()
	pf.StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	pf.StringVar(&g.logFormat, "log-format", "text", "log format: text, json")
	pf.StringVar(&g.configFile, "config", "", "YAML file of flag values (keys are flag names); flags and LAKEHOUSE_* env win over it")
	g.prof.flags(pf)
	root.AddCommand(NewCmdCollect(io, g, nil), NewCmdVerify(io, g), NewCmdInventory(io, g), NewCmdReport(io, g), NewCmdDerive(io, g), NewCmdConfig(io, g), NewCmdVersion(io))
	return root, g
}

// flagAliases lists other names of a flag (also accepted in env).
var flagAliases = map[string][]string{"timeframes": {"intervals"}}

func normalizeAliases(_ *pflag.FlagSet, name string) pflag.NormalizedName {
	for canonical, aliases := range flagAliases {
		for _, a := range aliases {
			if name == a {
				return pflag.NormalizedName(canonical)
			}
		}
	}
	return pflag.NormalizedName(name)
}

// Execute runs the CLI with the process's IO and returns the exit code.
func Execute() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first signal cancels ctx: no new work starts, in-flight files are
	// finished or abandoned atomically, telemetry is flushed, a partial
	// summary is printed. Restoring the default handlers then lets a second
	// signal end the process at once (still no partial .parquet: files are
	// only ever renamed into place complete).
	// The deferred stop cancels ctx too: only a signal that arrives while
	// the command runs is announced.
	finished := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-finished:
			return
		}
		stop()
		fmt.Fprintln(os.Stderr, "lakehouse: interrupted: finishing files in flight and flushing telemetry; signal again to exit at once")
	}()
	defer close(finished)
	return Run(ctx, IO{Out: os.Stdout, Err: os.Stderr, Getenv: os.Getenv, Now: time.Now, SetMemoryLimit: debug.SetMemoryLimit}, os.Args[1:])
}

// Run executes the CLI with args and returns the exit code.
func Run(ctx context.Context, io IO, args []string) int {
	root, g := newRoot(io)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	g.prof.stop(io.Err)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.code != ExitFailed {
			fmt.Fprintf(io.Err, "lakehouse: %v\n", oneLine(ee.err))
		}
		return ee.code
	}
	// Errors cobra makes itself (unknown command, bad arguments) are usage errors.
	fmt.Fprintf(io.Err, "lakehouse: %v\n", oneLine(err))
	return ExitUsage
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }
