package collector_test

import (
	"testing"

	"github.com/lakehouse-dev/lakehouse/collector"
	"github.com/lakehouse-dev/lakehouse/transform"
)

func TestShardsPartitionThePlan(t *testing.T) {
	var tasks []collector.Task
	for _, sym := range []string{"BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT", "ADAUSDT", "DOGEUSDT"} {
		for _, iv := range []transform.Interval{"1m", "5m", "1h", "1d", "1M"} {
			tasks = append(tasks, collector.Task{Market: collector.Spot, Symbol: sym, Interval: iv, Start: 1, End: 2})
		}
	}
	id := func(t collector.Task) string { return t.String() }
	for n := 1; n <= 5; n++ {
		seen := map[string]int{}
		minSize, maxSize := len(tasks), 0
		for i := 0; i < n; i++ {
			sh, err := collector.NewShard(i, n)
			if err != nil {
				t.Fatal(err)
			}
			part := sh.Select(tasks)
			minSize, maxSize = min(minSize, len(part)), max(maxSize, len(part))
			for _, task := range part {
				seen[id(task)]++
			}
			// Same arguments in another order: same assignment.
			reversed := make([]collector.Task, len(tasks))
			for j := range tasks {
				reversed[len(tasks)-1-j] = tasks[j]
			}
			again := map[string]bool{}
			for _, task := range sh.Select(reversed) {
				again[id(task)] = true
			}
			if len(again) != len(part) {
				t.Fatalf("n=%d shard %d depends on task order", n, i)
			}
			for _, task := range part {
				if !again[id(task)] {
					t.Fatalf("n=%d shard %d depends on task order", n, i)
				}
			}
		}
		if len(seen) != len(tasks) {
			t.Fatalf("n=%d: union has %d tasks, plan has %d", n, len(seen), len(tasks))
		}
		for k, c := range seen {
			if c != 1 {
				t.Fatalf("n=%d: %s in %d shards", n, k, c)
			}
		}
		if maxSize-minSize > 1 {
			t.Errorf("n=%d: shard sizes %d..%d", n, minSize, maxSize)
		}
	}
}

func TestParseShard(t *testing.T) {
	for _, ok := range []string{"0/1", "3/4", " 1/2 "} {
		if _, err := collector.ParseShard(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "1", "4/4", "-1/3", "a/b", "1/0", "0/-2"} {
		if _, err := collector.ParseShard(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
