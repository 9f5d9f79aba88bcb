package cmd

import (
	"strconv"

	"github.com/spf13/pflag"

	"github.com/lakehouse-dev/lakehouse/collector"
)

// shardOptions split one plan over the pods of a Kubernetes Indexed Job.
type shardOptions struct {
	shard  string // "i/n"
	shards int    // n, with i from JOB_COMPLETION_INDEX
}

func (s *shardOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&s.shard, "shard", "", "run only part i of n of the plan (i/n, 0-based), e.g. 2/4")
	f.IntVar(&s.shards, "shards", 0, "split the plan into n parts and run part $JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs)")
}

// resolve returns the shard to run; the zero Shard (0/0) means everything.
func (s *shardOptions) resolve(getenv func(string) string) (collector.Shard, error) {
	switch {
	case s.shard != "" && s.shards != 0:
		return collector.Shard{}, usageError("--shard and --shards are exclusive: use --shard i/n, or --shards n with JOB_COMPLETION_INDEX")
	case s.shard != "":
		sh, err := collector.ParseShard(s.shard)
		if err != nil {
			return sh, usageError("%v", err)
		}
		return sh, nil
	case s.shards != 0:
		idx := getenv("JOB_COMPLETION_INDEX")
		i, err := strconv.Atoi(idx)
		if err != nil {
			return collector.Shard{}, usageError("--shards %d needs JOB_COMPLETION_INDEX (set by Kubernetes Indexed Jobs) to be an integer, got %q", s.shards, idx)
		}
		sh, err := collector.NewShard(i, s.shards)
		if err != nil {
			return sh, usageError("--shards %d with JOB_COMPLETION_INDEX=%d: %v", s.shards, i, err)
		}
		return sh, nil
	}
	return collector.Shard{}, nil
}
