package cmd

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set by the release build: -ldflags "-X github.com/lakehouse-dev/lakehouse/cmd.version=..."
var (
	version = "dev"
	commit  = ""
	date    = ""
)

// Version is the program's version string.
func Version() string {
	if version == "dev" {
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
	}
	return version
}

func buildCommit() string {
	if commit != "" {
		return commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

// NewCmdVersion prints version, commit, build date and Go version.
func NewCmdVersion(io IO) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print version, commit, build date and Go version",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			d := date
			if d == "" {
				d = "unknown"
			}
			fmt.Fprintf(io.Out, "lakehouse %s\ncommit: %s\nbuilt: %s\ngo: %s %s/%s\n", Version(), buildCommit(), d, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
