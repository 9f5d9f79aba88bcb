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
	logLevel  string
	logFormat string
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
	g := &globalOptions{}
	root := &cobra.Command{
		Use:           "lakehouse",
		Short:         "Keep a Parquet data lake of Binance klines current",
		Long:          "lakehouse fetches Binance klines, turns them into Arrow record batches and writes Parquet to a local folder (or S3), safely and idempotently.",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(c *cobra.Command, _ []string) error {
			return applyEnv(c, io.Getenv)
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
	root.AddCommand(NewCmdCollect(io, g, nil), NewCmdVersion(io))
	return root
}

// applyEnv fills every flag the user did not set from LAKEHOUSE_<FLAG>
// (dashes become underscores), so flags beat env beats defaults.
func applyEnv(c *cobra.Command, getenv func(string) string) error {
	var errs []error
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Changed {
			return
		}
		env := "LAKEHOUSE_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		v := getenv(env)
		if v == "" {
			for _, alias := range flagAliases[f.Name] {
				if v = getenv("LAKEHOUSE_" + strings.ToUpper(alias)); v != "" {
					env = "LAKEHOUSE_" + strings.ToUpper(alias)
					break
				}
			}
		}
		if v == "" {
			return
		}
		if err := c.Flags().Set(f.Name, v); err != nil {
			errs = append(errs, usageError("%s=%q: %v", env, v, err))
		}
	})
	return errors.Join(errs...)
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
	return Run(ctx, IO{Out: os.Stdout, Err: os.Stderr, Getenv: os.Getenv, Now: time.Now}, os.Args[1:])
}

// Run executes the CLI with args and returns the exit code.
func Run(ctx context.Context, io IO, args []string) int {
	root := NewRootCmd(io)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
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
