package cmd

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"sigs.k8s.io/yaml"
)

// Value sources, strongest first.
const (
	sourceFlag    = "flag"
	sourceEnv     = "env"
	sourceFile    = "file"
	sourceDefault = "default"
)

// applySettings fills every flag the user did not set on the command line:
// first from LAKEHOUSE_<FLAG> (dashes become underscores), then from the
// --config YAML file, and records where each value came from. URLs with
// credentials are refused once all sources are applied (urlcreds.go).
func (g *globalOptions) applySettings(c *cobra.Command, getenv func(string) string) error {
	if err := g.fillSettings(c, getenv); err != nil {
		return err
	}
	return g.refuseURLCredentials(c.Flags(), getenv)
}

func (g *globalOptions) fillSettings(c *cobra.Command, getenv func(string) string) error {
	g.sources = map[string]string{}
	flags := c.Flags()
	var errs []error
	flags.VisitAll(func(f *pflag.Flag) {
		if f.Changed {
			g.sources[f.Name] = sourceFlag
			return
		}
		for _, name := range append([]string{f.Name}, flagAliases[f.Name]...) {
			env := envName(name)
			if v := getenv(env); v != "" {
				if err := flags.Set(f.Name, v); err != nil {
					errs = append(errs, usageError("%s=%q: %v", env, v, err))
				}
				g.sources[f.Name] = sourceEnv + " " + env
				return
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if g.configFile == "" {
		return nil
	}
	values, err := readConfigFile(g.configFile, c.Root())
	if err != nil {
		return usageError("%v", err)
	}
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		f := flags.Lookup(name)
		if f == nil || g.sources[f.Name] != "" {
			continue // another command's setting, or set by flag or env
		}
		if err := flags.Set(f.Name, values[name]); err != nil {
			return usageError("%s: %s: %v", g.configFile, name, err)
		}
		g.sources[f.Name] = sourceFile + " " + g.configFile
	}
	return nil
}

func envName(flag string) string {
	return "LAKEHOUSE_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// readConfigFile reads a YAML map of flag name -> value (lists become
// comma-separated). A key that is no flag of any command is an error, so a
// typo does not silently do nothing.
func readConfigFile(path string, root *cobra.Command) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("--config %s: %v", path, err)
	}
	known := map[string]bool{}
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) { known[f.Name] = true })
		c.PersistentFlags().VisitAll(func(f *pflag.Flag) { known[f.Name] = true })
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	out := map[string]string{}
	for k, v := range raw {
		name := string(normalizeAliases(nil, k))
		if !known[name] {
			return nil, fmt.Errorf("--config %s: unknown setting %q (keys are flag names, e.g. symbols, timeframes, output)", path, k)
		}
		switch x := v.(type) {
		case []any:
			parts := make([]string, len(x))
			for i, p := range x {
				parts[i] = fmt.Sprint(p)
			}
			out[name] = strings.Join(parts, ",")
		case nil:
		default:
			out[name] = fmt.Sprint(x)
		}
	}
	return out, nil
}
