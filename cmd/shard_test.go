package cmd

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// dry-run plans of every shard together are exactly the unsharded plan.
func TestShardFlagsSplitThePlan(t *testing.T) {
	fake := newFake(t)
	base := []string{"collect", "--symbols", "BTCUSDT,ETHUSDT,BNBUSDT", "--timeframes", "1m,1h", "--start", "2024-03-01",
		"--output", t.TempDir(), "--binance-api-url", fake.URL(), "--dry-run", "--summary", "json"}
	plan := func(env map[string]string, extra ...string) []string {
		t.Helper()
		r := run(t, env, append(slices.Clone(base), extra...)...)
		if r.code != ExitOK {
			t.Fatalf("exit %d: %s", r.code, r.err)
		}
		var p struct {
			Tasks []struct{ Market, Symbol, Interval string }
		}
		if err := json.Unmarshal([]byte(r.out), &p); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, tk := range p.Tasks {
			ids = append(ids, tk.Market+" "+tk.Symbol+" "+tk.Interval)
		}
		return ids
	}
	all := plan(nil)
	if len(all) != 6 {
		t.Fatalf("unsharded plan %v", all)
	}
	for n := 1; n <= 4; n++ {
		var union []string
		for i := 0; i < n; i++ {
			a := plan(nil, "--shard", itoa(i)+"/"+itoa(n))
			b := plan(map[string]string{"JOB_COMPLETION_INDEX": itoa(i)}, "--shards", itoa(n))
			if !slices.Equal(a, b) {
				t.Fatalf("--shard %d/%d %v differs from --shards %d with index %d %v", i, n, a, n, i, b)
			}
			union = append(union, a...)
		}
		slices.Sort(union)
		want := slices.Sorted(slices.Values(all))
		if !slices.Equal(union, want) {
			t.Fatalf("n=%d: union %v, want %v", n, union, want)
		}
	}
}

func TestShardFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"--shards", "3"}, "needs JOB_COMPLETION_INDEX"},
		{map[string]string{"JOB_COMPLETION_INDEX": "3"}, []string{"--shards", "3"}, "out of range"},
		{nil, []string{"--shard", "2/2"}, "out of range"},
		{nil, []string{"--shard", "x"}, `malformed --shard "x"`},
		{nil, []string{"--shard", "0/2", "--shards", "2"}, "exclusive"},
	} {
		r := run(t, tc.env, append([]string{"collect", "--symbols", "BTCUSDT", "--output", t.TempDir()}, tc.args...)...)
		if r.code != ExitUsage || !strings.Contains(r.err, tc.want) {
			t.Errorf("%v: exit %d %q, want %q", tc.args, r.code, r.err, tc.want)
		}
	}
}

func itoa(i int) string { return string(rune('0' + i)) }
