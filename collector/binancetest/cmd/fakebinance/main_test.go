package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRunServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"--addr", "127.0.0.1:0", "--now", "2024-03-15T12:00:00Z", "--spot-weight", "3"}, pw)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "fakebinance listening on ")
	if !ok || !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("banner %q", line)
	}
	go io.Copy(io.Discard, pr)

	c := &http.Client{Timeout: 5 * time.Second}
	for i, want := range []int{200, 200, 200, 429} {
		res, err := c.Get(base + "/api/v3/time")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != want {
			t.Fatalf("request %d: %d %s", i, res.StatusCode, body)
		}
		if want == 200 && string(body) != `{"serverTime":1710504000000}` {
			t.Fatalf("pinned clock not used: %s", body)
		}
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return after cancel")
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"--now", "yesterday"}, {"--bogus"}} {
		if err := run(context.Background(), args, io.Discard); err == nil {
			t.Errorf("run(%v) succeeded", args)
		}
	}
}

// TestSpotSymbols: --spot-symbols replaces the spot listing.
func TestSpotSymbols(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	go func() {
		run(ctx, []string{"--addr", "127.0.0.1:0", "--spot-symbols", "AAAUSDT, bbbusdt"}, pw)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	base := strings.TrimPrefix(strings.TrimSpace(line), "fakebinance listening on ")
	res, err := http.Get(base + "/api/v3/exchangeInfo")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var info struct{ Symbols []struct{ Symbol string } }
	if err := json.NewDecoder(res.Body).Decode(&info); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range info.Symbols {
		got = append(got, s.Symbol)
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"AAAUSDT", "BBBUSDT"}) {
		t.Fatalf("spot symbols %v, want AAAUSDT BBBUSDT", got)
	}
}
