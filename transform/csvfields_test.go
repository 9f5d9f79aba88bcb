package transform

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzSplitFields: the word-at-a-time comma split agrees with bytes.Split,
// for the field counts of the kline (12) and trade (8) parsers and the
// smallest room (1).
func FuzzSplitFields(f *testing.F) {
	for _, s := range []string{"", ",", "a,b", ",-1,,", "1704067200000,42283.58,1,2,3,4,5,6,7,8,9,0",
		"\xac,\x2d,\x01,\xff,,,,,,,,,,", strings.Repeat("12345678,", 11) + "x", strings.Repeat(",", 13),
		"5304213690,0.01,0.21,1704067200000123,True,True", "1,2,3,4,5,6,7,8,9"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		want := bytes.Split(line, []byte(","))
		for _, room := range [...]int{12, 8, 1} {
			got := make([][]byte, room)
			n := SplitFields(line, got)
			if len(want) > room {
				if n != room+1 {
					t.Fatalf("%q into %d: %d fields reported, want more than %d", line, room, n, room)
				}
				continue
			}
			if n != len(want) {
				t.Fatalf("%q into %d: %d fields, want %d", line, room, n, len(want))
			}
			for i := range want {
				if !bytes.Equal(got[i], want[i]) {
					t.Fatalf("%q into %d: field %d is %q, want %q", line, room, i, got[i], want[i])
				}
			}
		}
	})
}
