package stats

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/sdk"
)

// ErrInvalidQuery is wrapped by the error of a query with a range out of
// bounds or an unknown operation.
var ErrInvalidQuery = errors.New("stats: invalid query")

// Query selects the calls a Summary covers.
type Query struct {
	// Platform and Operation (a name of sdk.Operations) keep only the
	// calls of that platform and operation; empty means all.
	Platform  string
	Operation string
	// Range is how far back the window reaches: from one minute to the
	// retention, rounded up to whole minutes.
	Range time.Duration
	// Series asks for the selected calls minute by minute.
	Series bool
}

// Summary describes the calls of a window: the minutes that start in
// [From, To), where To is when the query ran and From is the start of the
// minute Range before the current one. It therefore covers Range plus the
// part of the current minute gone so far.
type Summary struct {
	From, To time.Time
	// Rows holds one row per platform and operation that had calls, by
	// platform name and then operation in protocol order.
	Rows []Row
	// Total sums the rows; its Platform and Operation are empty.
	Total Row
	// Series, when asked for, holds the total minute by minute from From,
	// a point for every minute, zero where there were no calls.
	Series []Point
}

// Row describes the calls of one platform and operation, or a sum of them.
// Rates, shares and means are 0 when there were no calls.
type Row struct {
	Platform, Operation string

	Calls     int64
	Succeeded int64
	// SuccessRate is Succeeded / Calls.
	SuccessRate float64
	// Errors counts the failed calls by outcome: timeout, rate_limited,
	// unavailable, invalid, auth, not_found, conflict or unknown; only
	// outcomes that occurred are present.
	Errors map[string]int64
	// RateLimited counts the calls the platform refused for its rate
	// limit; RateLimitedShare is their share of Calls.
	RateLimited      int64
	RateLimitedShare float64
	// Retries counts calls that were a later attempt; BudgetExhausted the
	// failed calls the retry budget did not let retry.
	Retries         int64
	BudgetExhausted int64
	// Items is the number of items the calls carried.
	Items int64
	// Waited is the time the calls waited for rate-limit tokens, in all
	// and per call.
	Waited   time.Duration
	MeanWait time.Duration
	// Latency quantiles, within QuantileError of the exact ones, and the
	// exact mean and largest.
	P50, P95, P99 time.Duration
	MeanLatency   time.Duration
	MaxLatency    time.Duration
}

// Point is the Row of one minute of a series.
type Point struct {
	Minute time.Time
	Row
}

// scanCheck is how many keys a query reads between looks at its context.
const scanCheck = 1024

// Query summarises the calls of q's window, those not yet flushed
// included.
func (r *Recorder) Query(ctx context.Context, q Query) (*Summary, error) {
	if err := r.check(q); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := r.now()
	last := unixMinute(now)
	w := newWindow(q, last-ceilMinutes(q.Range), last)

	// No flush may move counts from live to the store between the two
	// reads below.
	r.flushMu.Lock()
	defer r.flushMu.Unlock()
	r.mu.Lock()
	for k, c := range r.live {
		w.addLive(k.minute, k.platform, k.op.String(), c)
	}
	r.mu.Unlock()

	seen := 0
	err := r.db.View(func(txn *store.Txn) error {
		scan := store.Range{Prefix: []byte(minutePrefix), After: minuteKey(w.first)}
		return txn.Scan(ns, scan, func(k, v []byte) error {
			if seen++; seen%scanCheck == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			m, platformName, op, err := parseKey(k)
			switch {
			case err != nil:
				r.log.Warn("skipping a stats key", "error", err)
				return nil
			case m > last:
				return store.StopScan
			case !w.selects(m, platformName, op):
				return nil
			}
			if err := w.scratch.decode(v); err != nil {
				r.log.Warn("skipping an unreadable stats bucket", "key", string(k), "error", err)
				return nil
			}
			w.add(m, platformName, op, &w.scratch)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("stats: query: %w", err)
	}
	return w.summary(now), nil
}

func (r *Recorder) check(q Query) error {
	if q.Range < time.Minute || ceilMinutes(q.Range) > r.retention {
		return fmt.Errorf("%w: range %s is not from 1m to the retention, %s", ErrInvalidQuery, q.Range, r.Retention())
	}
	if q.Operation != "" && operationOrder(q.Operation) == len(sdk.Operations) {
		return fmt.Errorf("%w: no operation named %q", ErrInvalidQuery, q.Operation)
	}
	return nil
}

// operationOrder is the position of the operation named name in
// sdk.Operations, or its length for a name it does not hold.
func operationOrder(name string) int {
	i := slices.IndexFunc(sdk.Operations, func(op sdk.Operation) bool { return op.String() == name })
	if i < 0 {
		return len(sdk.Operations)
	}
	return i
}

type rowKey struct{ platform, operation string }

// window adds up the minutes first to last of one query.
type window struct {
	q           Query
	first, last int64
	rows        map[rowKey]*counts
	total       counts
	scratch     counts
	series      *series
}

func newWindow(q Query, first, last int64) *window {
	w := &window{q: q, first: first, last: last, rows: map[rowKey]*counts{}}
	if q.Series {
		w.series = &series{live: map[int64]*counts{}, closed: map[int64]Row{}}
	}
	return w
}

func (w *window) selects(m int64, platformName, op string) bool {
	return m >= w.first && m <= w.last &&
		(w.q.Platform == "" || w.q.Platform == platformName) &&
		(w.q.Operation == "" || w.q.Operation == op)
}

// add adds the stored counts c of minute m. Minutes come in order.
func (w *window) add(m int64, platformName, op string, c *counts) {
	w.addRow(platformName, op, c)
	if w.series != nil {
		w.series.add(m, c)
	}
}

// addLive adds the unflushed counts c of minute m, which may come before
// or after those stored for m.
func (w *window) addLive(m int64, platformName, op string, c *counts) {
	if !w.selects(m, platformName, op) {
		return
	}
	w.addRow(platformName, op, c)
	if w.series != nil {
		into := w.series.live[m]
		if into == nil {
			into = new(counts)
			w.series.live[m] = into
		}
		into.add(c)
	}
}

func (w *window) addRow(platformName, op string, c *counts) {
	k := rowKey{platformName, op}
	row := w.rows[k]
	if row == nil {
		row = new(counts)
		w.rows[k] = row
	}
	row.add(c)
	w.total.add(c)
}

func (w *window) summary(now time.Time) *Summary {
	s := &Summary{From: minuteStart(w.first), To: now, Total: w.total.row("", ""), Rows: make([]Row, 0, len(w.rows))}
	for k, c := range w.rows {
		s.Rows = append(s.Rows, c.row(k.platform, k.operation))
	}
	slices.SortFunc(s.Rows, func(a, b Row) int {
		return cmp.Or(cmp.Compare(a.Platform, b.Platform),
			cmp.Compare(operationOrder(a.Operation), operationOrder(b.Operation)),
			cmp.Compare(a.Operation, b.Operation))
	})
	if w.series != nil {
		s.Series = w.series.points(w.first, w.last)
	}
	return s
}

// series adds up the selected calls of each minute. Stored counts come in
// minute order, so it keeps one minute open at a time; the unflushed
// counts of a minute join it when it closes.
type series struct {
	live   map[int64]*counts
	minute int64
	open   bool
	acc    counts
	closed map[int64]Row
}

func (s *series) add(m int64, c *counts) {
	if s.open && m != s.minute {
		s.close()
	}
	s.minute, s.open = m, true
	s.acc.add(c)
}

func (s *series) close() {
	if l := s.live[s.minute]; l != nil {
		s.acc.add(l)
		delete(s.live, s.minute)
	}
	s.closed[s.minute] = s.acc.row("", "")
	s.acc, s.open = counts{}, false
}

// points returns a point for every minute from first to last.
func (s *series) points(first, last int64) []Point {
	if s.open {
		s.close()
	}
	for m, c := range s.live {
		s.closed[m] = c.row("", "")
	}
	out := make([]Point, 0, last-first+1)
	for m := first; m <= last; m++ {
		row, ok := s.closed[m]
		if !ok {
			row = (&counts{}).row("", "")
		}
		out = append(out, Point{Minute: minuteStart(m), Row: row})
	}
	return out
}

// row describes c.
func (c *counts) row(platformName, operation string) Row {
	calls := c.calls()
	row := Row{
		Platform:        platformName,
		Operation:       operation,
		Calls:           int64(calls),
		Succeeded:       int64(c.outcomes[outcomeOK]),
		Errors:          map[string]int64{},
		RateLimited:     int64(c.outcomes[outcomeLimited]),
		Retries:         int64(c.retries),
		BudgetExhausted: int64(c.budgetExhausted),
		Items:           int64(c.items),
		Waited:          time.Duration(c.waited),
		MaxLatency:      time.Duration(c.latencyMax),
	}
	for i, n := range c.outcomes {
		if i != outcomeOK && n > 0 {
			row.Errors[outcomeNames[i]] = int64(n)
		}
	}
	if calls == 0 {
		return row
	}
	row.SuccessRate = float64(row.Succeeded) / float64(calls)
	row.RateLimitedShare = float64(row.RateLimited) / float64(calls)
	row.MeanWait = time.Duration(c.waited / calls)
	row.MeanLatency = time.Duration(c.latencySum / calls)
	row.P50 = c.latency.quantile(0.50, calls, row.MaxLatency)
	row.P95 = c.latency.quantile(0.95, calls, row.MaxLatency)
	row.P99 = c.latency.quantile(0.99, calls, row.MaxLatency)
	return row
}
