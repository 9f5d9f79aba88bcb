package collector

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lakehouse-dev/lakehouse/storage"
	"github.com/lakehouse-dev/lakehouse/transform"
)

// MetaBarCarry is a trade bars file's metadata entry naming the bar still
// open at the end of its day (carried into the next day's file): its first
// trade's id and day. The next day's file starts from it.
const MetaBarCarry = "lakehouse.bar_carry"

// barCarry is the bar open across a day boundary.
type barCarry struct {
	ID  int64  `json:"first_trade_id"`
	Day string `json:"day"` // YYYY-MM-DD of that trade
}

// deriveBars keeps the trade bars of t current, day by day: the file of
// day D holds the bars that close on D. Bars do not restart at midnight: a
// bar open at the end of a day is carried into the next one, so each file
// depends on the files from the carried bar's first day to its own, and on
// the carry it started with; a file whose inputs and carry are unchanged
// is not rebuilt (footers only), and neither is anything after it unless
// its own inputs changed.
func (d *Deriver) deriveBars(ctx context.Context, t DeriveTarget, src *sourceIndex, res *DeriveResult) error {
	var carry *barCarry
	for i, k := range src.keys {
		if err := ctx.Err(); err != nil {
			return err
		}
		day, _ := src.bounds(k)
		next, err := d.barsDay(ctx, t, src, i, carry, res, d.inRange(day, day+86_400_000))
		if err != nil {
			return fmt.Errorf("%s: %w", t.Series().Key(k.Period).Path(), err)
		}
		carry = next
	}
	return nil
}

// inRange reports whether [from, to) overlaps the deriver's range.
func (d *Deriver) inRange(from, to int64) bool {
	return (d.From == 0 || to > d.From) && (d.To == 0 || from < d.To)
}

// barsDay brings the file of source day i up to date (write: within the
// range of the run; otherwise its carry is only computed) and returns the
// carry out of it.
func (d *Deriver) barsDay(ctx context.Context, t DeriveTarget, src *sourceIndex, i int, carry *barCarry, res *DeriveResult, write bool) (*barCarry, error) {
	k := src.keys[i]
	inputs, identity, err := barsInputs(ctx, src, i, carry)
	if err != nil {
		return nil, err
	}
	gold := t.Series().Key(k.Period)
	if fm, err := d.Sink.Meta(ctx, gold); err == nil && fm.Meta[MetaInputs] == identity {
		res.UpToDate++
		return parseCarry(fm.Meta[MetaBarCarry])
	}
	if d.DryRun && write {
		res.Planned = append(res.Planned, gold.Path())
	}
	started := time.Now()
	b := transform.NewTradeBarBuilder(t.Bar)
	if carry != nil {
		b.StartAt(carry.ID)
	}
	n, err := readInputs(ctx, d.Sink, inputs, b.Add)
	res.Inputs += n
	if err != nil {
		return nil, err
	}
	_, dayEnd := src.bounds(k)
	b.EndInput(dayEnd * 1000)
	rec := b.NewRecord(d.Mem)
	defer rec.Release()
	var out *barCarry
	meta := map[string]string{MetaInputs: identity}
	if id, at, ok := b.Carried(); ok {
		out = &barCarry{ID: id, Day: time.UnixMicro(at).UTC().Format(time.DateOnly)}
		v, _ := json.Marshal(out)
		meta[MetaBarCarry] = string(v)
	}
	if !write || d.DryRun {
		return out, nil
	}
	info, err := d.Sink.Write(ctx, gold, rec, meta, storage.Precondition{})
	if err != nil {
		return nil, err
	}
	d.written(ctx, t, started, n, rec.NumRows(), info.Size)
	res.Files = append(res.Files, gold.Path())
	res.Rows += rec.NumRows()
	res.Bytes += info.Size
	return out, nil
}

// barsInputs lists the source files the bars of day i are built from
// (from the carried bar's first day on) and their identity with the carry.
func barsInputs(ctx context.Context, src *sourceIndex, i int, carry *barCarry) ([]storage.FileMeta, string, error) {
	first := i
	if carry != nil {
		for first > 0 && src.keys[first].Period > carry.Day {
			first--
		}
	}
	var inputs []storage.FileMeta
	for _, in := range src.keys[first : i+1] {
		fm, err := src.meta(ctx, in)
		if err != nil {
			return nil, "", err
		}
		inputs = append(inputs, fm)
	}
	carryIn := ""
	if carry != nil {
		b, _ := json.Marshal(carry)
		carryIn = string(b)
	}
	return inputs, inputsEntry(inputs) + carryIn, nil
}

func parseCarry(v string) (*barCarry, error) {
	if v == "" {
		return nil, nil
	}
	var c barCarry
	if err := json.Unmarshal([]byte(v), &c); err != nil {
		return nil, fmt.Errorf("metadata %s: %w", MetaBarCarry, err)
	}
	return &c, nil
}
