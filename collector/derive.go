package collector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"go.opentelemetry.io/otel/attribute"
	"golang.org/x/sync/errgroup"

	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/telemetry"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// The gold layer (SPEC section 9): lakehouse derive builds candles, trade
// bars and daily summaries from silver, incrementally. Every gold file
// records the identity of the silver files it was built from (path, size,
// version, rows) in its key-value metadata; a gold file whose inputs are
// unchanged is not rebuilt, and finding that out reads footers only.

// MetaInputs is the gold files' metadata entry listing their inputs.
const MetaInputs = "lakehouse.inputs"

// DeriveTarget is one gold series to keep current from its silver input.
type DeriveTarget struct {
	Dataset  *transform.Dataset // transform.CandlesData, DailySummaryData or TradeBarsData
	Market   Market
	Symbol   string
	Interval transform.Interval // candles: the target interval
	Bar      transform.BarSpec  // trade bars
}

func (t DeriveTarget) String() string {
	switch t.Dataset {
	case transform.CandlesData:
		return fmt.Sprintf("candles %s %s %s", t.Market, t.Symbol, t.Interval)
	case transform.TradeBarsData:
		return fmt.Sprintf("trade_bars %s %s %s", t.Market, t.Symbol, t.Bar)
	}
	return fmt.Sprintf("%s %s %s", t.Dataset.Name, t.Market, t.Symbol)
}

// Series is the gold series the target writes.
func (t DeriveTarget) Series() storage.Series {
	s := storage.Series{Dataset: t.Dataset.Name, Market: string(t.Market), Symbol: t.Symbol}
	switch t.Dataset {
	case transform.CandlesData:
		s.Interval = t.Interval.String()
	case transform.TradeBarsData:
		s.Interval = t.Bar.Folder()
	}
	return s
}

// Source is the silver series the target is built from: 1m klines (1s
// for sub-minute candles), or trades.
func (t DeriveTarget) Source() storage.Series {
	s := storage.Series{Dataset: transform.Klines.Name, Market: string(t.Market), Symbol: t.Symbol, Interval: "1m"}
	switch t.Dataset {
	case transform.CandlesData:
		s.Interval = transform.CandleSource(t.Interval).String()
	case transform.TradeBarsData:
		s = storage.Series{Dataset: transform.TradesData.Name, Market: string(t.Market), Symbol: t.Symbol}
	}
	return s
}

// Extra is the other silver series the target reads: the funding rates of
// a futures symbol for its daily summary.
func (t DeriveTarget) Extra() []storage.Series {
	if t.Dataset == transform.DailySummaryData && transform.FundingRateData.Serves(string(t.Market)) {
		return []storage.Series{{Dataset: transform.FundingRateData.Name, Market: string(t.Market), Symbol: t.Symbol}}
	}
	return nil
}

// DeriveResult is the outcome of one target.
type DeriveResult struct {
	Target   DeriveTarget
	Status   string   // StatusOK (something written), StatusUpToDate, StatusFailed
	Files    []string // gold files written
	UpToDate int      // gold files whose inputs had not changed
	Inputs   int64    // silver rows read
	Rows     int64    // gold rows written
	Bytes    int64
	Duration time.Duration
	Err      error
	// Planned lists the gold files a dry run would build.
	Planned []string
}

// Deriver builds gold series from silver.
type Deriver struct {
	Sink        storage.Sink
	Mem         memory.Allocator
	Logger      *slog.Logger
	Telemetry   *telemetry.Telemetry
	Concurrency int
	// From and To bound the gold files built (ms; 0: unbounded): files
	// whose period overlaps [From, To).
	From, To int64
	// DryRun finds what would be built and writes nothing.
	DryRun bool
	// Progress, if set, hears of every gold file written and target done.
	Progress DeriveProgress
}

// DeriveProgress follows a derive run for a human; calls come from
// concurrent targets.
type DeriveProgress interface {
	FileWritten(rows int, bytes int64)
	TargetDone(failed bool)
}

// Run derives every target; one failing never stops the others.
func (d *Deriver) Run(ctx context.Context, targets []DeriveTarget) []DeriveResult {
	// Set once here, before the targets run concurrently and record into it.
	tel := d.tel()
	ctx, span := tel.Tracer.Start(ctx, "derive")
	wf := tel.Metrics.StartWorkflow("derive")
	tel.Metrics.AddQueued(ctx, len(targets))
	results := make([]DeriveResult, len(targets))
	var g errgroup.Group
	g.SetLimit(max(d.Concurrency, 1))
	for i, t := range targets {
		g.Go(func() error {
			tctx, tspan := tel.Tracer.Start(ctx, "derive.target")
			tspan.SetAttributes(attribute.String("lakehouse.target", t.String()))
			started := time.Now()
			res := d.derive(tctx, t)
			res.Duration = time.Since(started)
			switch {
			case res.Err != nil:
				res.Status = StatusFailed
				d.Logger.Error("derive failed", "target", t.String(), "err", res.Err)
			case len(res.Files) == 0 && len(res.Planned) == 0:
				res.Status = StatusUpToDate
			default:
				res.Status = StatusOK
			}
			slices.Sort(res.Files)
			results[i] = res
			if d.Progress != nil {
				d.Progress.TargetDone(res.Err != nil)
			}
			tel.Metrics.AddQueued(tctx, -1)
			telemetry.EndSpan(tspan, res.Err)
			return nil
		})
	}
	g.Wait()
	failed := 0
	for _, r := range results {
		if r.Err != nil {
			failed++
		}
	}
	wf.End(ctx, failed > 0 || ctx.Err() != nil)
	var err error
	if failed > 0 {
		err = fmt.Errorf("%d of %d derive targets failed", failed, len(results))
	}
	telemetry.EndSpan(span, err)
	return results
}

// goldFile is one gold file to keep current: its period's range of keys,
// and the source range it is built from.
type goldFile struct {
	key          storage.Key
	from, to     int64 // gold rows whose time lies here (ms)
	inFrom, inTo int64 // source open times read (ms)
}

func (d *Deriver) derive(ctx context.Context, t DeriveTarget) DeriveResult {
	res := DeriveResult{Target: t}
	src, err := newSourceIndex(ctx, d.Sink, t.Source())
	if err != nil || len(src.keys) == 0 {
		res.Err = err
		return res
	}
	if t.Dataset == transform.TradeBarsData {
		res.Err = d.deriveBars(ctx, t, src, &res)
		return res
	}
	extras, err := extraIndexes(ctx, d.Sink, t)
	if err != nil {
		res.Err = err
		return res
	}
	for _, gf := range d.goldFiles(t, src) {
		if err := ctx.Err(); err != nil {
			res.Err = errors.Join(res.Err, err)
			return res
		}
		if err := d.deriveFile(ctx, t, src, extras, gf, &res); err != nil {
			res.Err = errors.Join(res.Err, fmt.Errorf("%s: %w", gf.key.Path(), err))
		}
	}
	return res
}

// goldFiles lists the gold files covering the source's stored range,
// within [From, To).
func (d *Deriver) goldFiles(t DeriveTarget, src *sourceIndex) []goldFile {
	lo, hi := src.first, src.last+1
	if d.From > lo {
		lo = d.From
	}
	if d.To > 0 && d.To < hi {
		hi = d.To
	}
	var out []goldFile
	for at := lo; at < hi; {
		p := at
		if len(out) == 0 && t.Dataset == transform.CandlesData {
			// The first candle may open before lo (a week opening in the
			// previous period): its file comes first.
			p = t.Interval.Floor(time.UnixMilli(at))
		}
		gf := goldFileAt(t, p)
		out = append(out, gf)
		at = gf.to
	}
	return out
}

// extraIndexes opens the indexes of t's extra series, once per target.
func extraIndexes(ctx context.Context, sink storage.Sink, t DeriveTarget) ([]*sourceIndex, error) {
	var out []*sourceIndex
	for _, s := range t.Extra() {
		idx, err := newSourceIndex(ctx, sink, s)
		if err != nil {
			return nil, err
		}
		out = append(out, idx)
	}
	return out, nil
}

// withExtra adds to inputs the files of the extra series holding rows of
// the gold file's own range (the funding rates of its days).
func withExtra(ctx context.Context, extras []*sourceIndex, gf goldFile, inputs []storage.FileMeta) ([]storage.FileMeta, error) {
	for _, idx := range extras {
		more, err := idx.inputs(ctx, gf.from, gf.to)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, more...)
	}
	return inputs, nil
}

// goldFileAt is the gold file of t (candles or daily summary) whose
// period holds the time at (ms).
func goldFileAt(t DeriveTarget, at int64) goldFile {
	var gf goldFile
	if t.Dataset == transform.DailySummaryData {
		y := time.UnixMilli(at).UTC().Year()
		gf.from = time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
		gf.to = time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
		gf.inFrom, gf.inTo = transform.DailyInputs(gf.from, gf.to)
		gf.key = t.Series().Key(fmt.Sprint(y))
		return gf
	}
	iv := t.Interval
	gf.from, gf.to = iv.PeriodBounds(at)
	gf.inFrom, gf.inTo = transform.CandleInputs(iv, gf.from, gf.to)
	gf.key = t.Series().Key(iv.Period(gf.from))
	return gf
}

// GoldStale reports whether the gold file key is out of date: the silver
// files it would be built from now are not those it records (changed,
// added or removed since), with a reason. Footers only.
func GoldStale(ctx context.Context, sink storage.Sink, key storage.Key, meta map[string]string) (bool, string, error) {
	t, err := targetOf(key)
	if err != nil {
		return false, "", err
	}
	src, err := newSourceIndex(ctx, sink, t.Source())
	if err != nil {
		return false, "", err
	}
	var identity string
	if t.Dataset == transform.TradeBarsData {
		i := slices.IndexFunc(src.keys, func(k storage.Key) bool { return k.Period == key.Period })
		if i < 0 {
			return true, "its day of " + t.Source().Dir() + " is no longer stored", nil
		}
		carry, err := previousCarry(ctx, sink, key)
		if err != nil {
			return false, "", err
		}
		if _, identity, err = barsInputs(ctx, src, i, carry); err != nil {
			return false, "", err
		}
	} else {
		start, ok := periodStart(key.Period)
		if !ok {
			return false, "", fmt.Errorf("%s: not a period", key.Path())
		}
		gf := goldFileAt(t, start)
		inputs, err := src.inputs(ctx, gf.inFrom, gf.inTo)
		if err != nil {
			return false, "", err
		}
		extras, err := extraIndexes(ctx, sink, t)
		if err != nil {
			return false, "", err
		}
		if inputs, err = withExtra(ctx, extras, gf, inputs); err != nil {
			return false, "", err
		}
		identity = inputsEntry(inputs)
	}
	if identity != meta[MetaInputs] {
		return true, "built from silver files that have changed since; run lakehouse derive", nil
	}
	return false, "", nil
}

// targetOf is the derive target a gold key belongs to.
func targetOf(key storage.Key) (DeriveTarget, error) {
	d, err := transform.LookupStored(key.Dataset)
	if err != nil {
		return DeriveTarget{}, err
	}
	t := DeriveTarget{Dataset: d, Market: Market(key.Market), Symbol: key.Symbol}
	switch d {
	case transform.CandlesData:
		t.Interval, err = transform.ParseCustomInterval(key.Interval)
	case transform.TradeBarsData:
		t.Bar, err = transform.ParseBarSpec(key.Interval)
	case transform.DailySummaryData:
	default:
		err = fmt.Errorf("%s is not a gold dataset", d.Name)
	}
	return t, err
}

// previousCarry is the bar carried into the day of key: the carry of the
// gold file of the day before it, if stored.
func previousCarry(ctx context.Context, sink storage.Sink, key storage.Key) (*barCarry, error) {
	keys, err := sink.List(ctx, key.Series())
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(keys, func(k storage.Key) bool { return k.Period == key.Period })
	if i <= 0 {
		return nil, nil
	}
	fm, err := sink.Meta(ctx, keys[i-1])
	if err != nil {
		return nil, err
	}
	return parseCarry(fm.Meta[MetaBarCarry])
}

// periodStart parses a file period (YYYY, YYYY-MM or YYYY-MM-DD) to ms.
func periodStart(p string) (int64, bool) {
	for _, layout := range []string{"2006", "2006-01", time.DateOnly} {
		if len(layout) == len(p) {
			t, err := time.Parse(layout, p)
			return t.UnixMilli(), err == nil
		}
	}
	return 0, false
}

// deriveFile rebuilds one gold file if its inputs changed.
func (d *Deriver) deriveFile(ctx context.Context, t DeriveTarget, src *sourceIndex, extras []*sourceIndex, gf goldFile, res *DeriveResult) error {
	inputs, err := src.inputs(ctx, gf.inFrom, gf.inTo)
	if err != nil || len(inputs) == 0 {
		return err
	}
	if inputs, err = withExtra(ctx, extras, gf, inputs); err != nil {
		return err
	}
	identity := inputsEntry(inputs)
	if fm, err := d.Sink.Meta(ctx, gf.key); err == nil && fm.Meta[MetaInputs] == identity {
		res.UpToDate++
		return nil
	} else if err != nil && !storage.IsNotExist(err) {
		d.Logger.Warn("gold file unreadable, rebuilding it", "file", gf.key.Path(), "err", err)
	}
	if d.DryRun {
		res.Planned = append(res.Planned, gf.key.Path())
		return nil
	}
	started := time.Now()
	var add func(arrow.RecordBatch) error
	var build func() arrow.RecordBatch
	switch t.Dataset {
	case transform.DailySummaryData:
		b := transform.NewDailyBuilder(gf.from, gf.to)
		add = func(rec arrow.RecordBatch) error {
			if transform.SameFields(transform.FundingRateSchema, rec.Schema()) {
				return b.AddFunding(rec)
			}
			return b.Add(rec)
		}
		build = func() arrow.RecordBatch { return b.NewRecord(d.Mem) }
	default:
		b := transform.NewCandleBuilder(t.Interval, gf.from, gf.to)
		add, build = b.Add, func() arrow.RecordBatch { return b.NewRecord(d.Mem) }
	}
	n, err := readInputs(ctx, d.Sink, inputs, add)
	res.Inputs += n
	if err != nil {
		return err
	}
	rec := build()
	defer rec.Release()
	if rec.NumRows() == 0 {
		return nil
	}
	info, err := d.Sink.Write(ctx, gf.key, rec, map[string]string{MetaInputs: identity}, storage.Precondition{})
	if err != nil {
		return err
	}
	d.written(ctx, t, started, n, rec.NumRows(), info.Size)
	res.Files = append(res.Files, gf.key.Path())
	res.Rows += rec.NumRows()
	res.Bytes += info.Size
	return nil
}

// written records a gold file written: the stage's metrics and progress.
func (d *Deriver) written(ctx context.Context, t DeriveTarget, started time.Time, inputs, rows, bytes int64) {
	d.tel().Metrics.RecordStage(ctx, "derive_"+t.Dataset.Name, time.Since(started), int(inputs))
	if d.Progress != nil {
		d.Progress.FileWritten(int(rows), bytes)
	}
}

func (d *Deriver) tel() *telemetry.Telemetry {
	if d.Telemetry == nil {
		d.Telemetry = telemetry.Noop(d.Logger)
	}
	return d.Telemetry
}

// readInputs streams every row of the input files, oldest first, into add.
func readInputs(ctx context.Context, sink storage.Sink, inputs []storage.FileMeta, add func(arrow.RecordBatch) error) (int64, error) {
	var n int64
	for _, in := range inputs {
		d, err := transform.LookupStored(in.Key.Dataset)
		if err != nil {
			return n, err
		}
		if d == transform.Klines {
			// A klines file is at most a month of 1m or a day of 1s (under
			// 90k rows, a few MB): read whole, it decodes faster than in
			// streamed batches, whose buffers cost more than the file.
			rec, _, err := sink.Read(ctx, in.Key)
			if err != nil {
				return n, err
			}
			n += rec.NumRows()
			err = add(rec)
			rec.Release()
			if err != nil {
				return n, fmt.Errorf("read %s: %w", in.Key.Path(), err)
			}
			continue
		}
		rr, _, err := sink.ReadStream(ctx, in.Key, d.Schema(in.Key.Market), 0)
		if err != nil {
			return n, err
		}
		for rr.Next() {
			rec := rr.RecordBatch() // with the dataset's schema exactly (ReadStream)
			n += rec.NumRows()
			if err = add(rec); err != nil {
				break
			}
		}
		if err == nil {
			err = rr.Err()
		}
		rr.Release()
		if err != nil && !errors.Is(err, io.EOF) {
			return n, fmt.Errorf("read %s: %w", in.Key.Path(), err)
		}
	}
	return n, nil
}

// sourceIndex is the silver series a target reads: its files and, once
// read, their footers.
type sourceIndex struct {
	sink        storage.Sink
	series      storage.Series
	d           *transform.Dataset
	iv          transform.Interval
	keys        []storage.Key
	first, last int64 // time (ms) of the oldest and newest stored row

	mu    sync.Mutex
	metas map[string]storage.FileMeta
}

func newSourceIndex(ctx context.Context, sink storage.Sink, s storage.Series) (*sourceIndex, error) {
	d, err := transform.LookupStored(s.Dataset)
	if err != nil {
		return nil, err
	}
	keys, err := sink.List(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", s.Dir(), err)
	}
	idx := &sourceIndex{sink: sink, series: s, d: d, iv: transform.Interval(s.Interval), keys: keys, metas: map[string]storage.FileMeta{}}
	found := false
	for _, k := range keys {
		fm, err := idx.meta(ctx, k)
		if err != nil {
			return nil, err
		}
		if fm.Rows > 0 {
			idx.first, found = d.Millis(fm.MinTime), true
			break
		}
	}
	for i := len(keys) - 1; i >= 0 && found; i-- {
		fm, err := idx.meta(ctx, keys[i])
		if err != nil {
			return nil, err
		}
		if fm.Rows > 0 {
			idx.last = d.Millis(fm.MaxTime)
			break
		}
	}
	if !found {
		idx.keys = nil
	}
	return idx, nil
}

func (s *sourceIndex) meta(ctx context.Context, k storage.Key) (storage.FileMeta, error) {
	s.mu.Lock()
	fm, ok := s.metas[k.Period]
	s.mu.Unlock()
	if ok {
		return fm, nil
	}
	fm, err := s.sink.Meta(ctx, k)
	if err != nil {
		return fm, fmt.Errorf("read the footer of %s: %w", k.Path(), err)
	}
	if fm.Rows > 0 && !fm.HasStats {
		return fm, fmt.Errorf("read the footer of %s: no column statistics", k.Path())
	}
	fm.Key = k
	s.mu.Lock()
	s.metas[k.Period] = fm
	s.mu.Unlock()
	return fm, nil
}

// bounds is the range of times (ms) a source file's period covers.
func (s *sourceIndex) bounds(k storage.Key) (int64, int64) {
	start, _ := periodStart(k.Period)
	switch {
	case s.d.DailyFiles:
		return start, start + 86_400_000
	case s.d.YearFiles:
		y := time.UnixMilli(start).UTC().Year()
		return start, time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	}
	return s.iv.PeriodBounds(start)
}

// inputs returns the footers of the source files with rows overlapping
// [from, to), oldest first.
func (s *sourceIndex) inputs(ctx context.Context, from, to int64) ([]storage.FileMeta, error) {
	var out []storage.FileMeta
	for _, k := range s.keys {
		lo, hi := s.bounds(k)
		if hi <= from || lo >= to {
			continue
		}
		fm, err := s.meta(ctx, k)
		if err != nil {
			return nil, err
		}
		if fm.Rows > 0 {
			out = append(out, fm)
		}
	}
	return out, nil
}

// inputsEntry is the identity of a gold file's inputs: path, size,
// version and rows of each, in order.
func inputsEntry(inputs []storage.FileMeta) string {
	type input struct {
		Path    string `json:"path"`
		Size    int64  `json:"size"`
		Version string `json:"version"`
		Rows    int64  `json:"rows"`
	}
	list := make([]input, len(inputs))
	for i, in := range inputs {
		list[i] = input{Path: in.Key.Path(), Size: in.Size, Version: in.Version, Rows: in.Rows}
	}
	b, _ := json.Marshal(list)
	return string(b)
}

// GoldDepends reports whether a gold file's recorded inputs include the
// silver file at path (verify and tests).
func GoldDepends(meta map[string]string, path string) bool {
	return strings.Contains(meta[MetaInputs], `"path":"`+path+`"`)
}
