package cmd

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/spf13/pflag"
)

// profiles are the hidden --cpuprofile and --memprofile flags: pprof files
// of one run, for performance work (docs/benchmarks.md).
type profiles struct {
	cpu, mem string
	cpuFile  *os.File
}

func (p *profiles) flags(f *pflag.FlagSet) {
	f.StringVar(&p.cpu, "cpuprofile", "", "write a CPU profile of the run to this file")
	f.StringVar(&p.mem, "memprofile", "", "write an allocation profile of the run to this file")
	f.MarkHidden("cpuprofile")
	f.MarkHidden("memprofile")
}

func (p *profiles) start() error {
	if p.cpu == "" {
		return nil
	}
	f, err := os.Create(p.cpu)
	if err != nil {
		return usageError("--cpuprofile: %v", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return usageError("--cpuprofile: %v", err)
	}
	p.cpuFile = f
	return nil
}

// stop ends the CPU profile and writes the allocation profile.
func (p *profiles) stop(errOut io.Writer) {
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
