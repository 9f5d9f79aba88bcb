package cmd

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"

	"github.com/spf13/pflag"
)

// profiles are the hidden --cpuprofile, --memprofile and --trace flags:
// pprof files and an execution trace (go tool trace) of one run, for
// performance work (docs/benchmarks.md).
type profiles struct {
	cpu, mem, trace    string
	cpuFile, traceFile *os.File
}

func (p *profiles) flags(f *pflag.FlagSet) {
	f.StringVar(&p.cpu, "cpuprofile", "", "write a CPU profile of the run to this file")
	f.StringVar(&p.mem, "memprofile", "", "write an allocation profile of the run to this file")
	f.StringVar(&p.trace, "trace", "", "write an execution trace of the run to this file (go tool trace)")
	f.MarkHidden("cpuprofile")
	f.MarkHidden("memprofile")
	f.MarkHidden("trace")
}

// start starts the trace and the CPU profile; Run calls stop in any case.
func (p *profiles) start() error {
	var err error
	if p.traceFile, err = startFile(p.trace, "--trace", trace.Start); err != nil {
		return err
	}
	p.cpuFile, err = startFile(p.cpu, "--cpuprofile", pprof.StartCPUProfile)
	return err
}

// startFile creates path (if set) and starts writing to it; flag names the
// path in errors.
func startFile(path, flag string, start func(io.Writer) error) (*os.File, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, usageError("%s: %v", flag, err)
	}
	if err := start(f); err != nil {
		f.Close()
		return nil, usageError("%s: %v", flag, err)
	}
	return f, nil
}

// stop ends the CPU profile and writes the allocation profile.
func (p *profiles) stop(errOut io.Writer) {
	if p.traceFile != nil {
		trace.Stop()
		p.traceFile.Close()
		p.traceFile = nil
	}
	if p.cpuFile != nil {
		pprof.StopCPUProfile()
		p.cpuFile.Close()
		p.cpuFile = nil
	}
	if p.mem == "" {
		return
	}
	f, err := os.Create(p.mem)
	if err == nil {
		runtime.GC()
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		f.Close()
	}
	if err != nil {
		fmt.Fprintf(errOut, "lakehouse: --memprofile: %v\n", err)
	}
}
