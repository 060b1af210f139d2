package stats_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/marketsync/marketsync/actors/platform"
	"github.com/marketsync/marketsync/daemon/stats"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
	"github.com/marketsync/marketsync/sdk"
)

// noon is a minute boundary; the tests' clocks start there.
var noon = time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// newRecorder returns a Recorder on db read by clk, with no background loop
// unless o says otherwise, closed when the test ends.
func newRecorder(t testing.TB, db *store.DB, clk *clock, o stats.Options) *stats.Recorder {
	t.Helper()
	if o.FlushEvery == 0 {
		o.FlushEvery = -1
	}
	if clk != nil {
		o.Now = clk.Now
	}
	r, err := stats.New(db, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return r
}

func memDB(t testing.TB) *store.DB { return storetest.Open(t, store.Options{InMemory: true}) }

// ok is a successful call of 10 ms.
func ok(platformName string, op sdk.Operation) platform.CallRecord {
	return platform.CallRecord{Platform: platformName, Operation: op, Outcome: platform.OutcomeOK, Latency: 10 * time.Millisecond, Attempt: 1}
}

func record(r *stats.Recorder, rec platform.CallRecord, n int) {
	for range n {
		r.CallFinished(rec)
	}
}

func query(t *testing.T, r *stats.Recorder, q stats.Query) *stats.Summary {
	t.Helper()
	s, err := r.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("Query(%+v): %v", q, err)
	}
	return s
}

func flush(t *testing.T, r *stats.Recorder) {
	t.Helper()
	if err := r.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// near reports whether got is within stats.QuantileError of want.
func near(got, want time.Duration) bool {
	return math.Abs(float64(got-want)) <= stats.QuantileError*float64(want)
}

// checkRow compares got with want: quantiles within the error bound, every
// other field exactly.
func checkRow(t *testing.T, got, want stats.Row) {
	t.Helper()
	for _, q := range []struct {
		name      string
		got, want *time.Duration
	}{{"p50", &got.P50, &want.P50}, {"p95", &got.P95, &want.P95}, {"p99", &got.P99, &want.P99}} {
		if !near(*q.got, *q.want) {
			t.Errorf("%s/%s %s = %v, want %v ± %.1f%%", got.Platform, got.Operation, q.name, *q.got, *q.want, 100*stats.QuantileError)
		}
		*q.got = *q.want
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("row differs:\n got %+v\nwant %+v", got, want)
	}
}

func TestAggregation(t *testing.T) {
	clk := &clock{t: noon.Add(10 * time.Second)}
	r := newRecorder(t, memDB(t), clk, stats.Options{})
	ms := time.Millisecond
	fetch := func(outcome string, latency time.Duration) platform.CallRecord {
		return platform.CallRecord{Platform: "tb", Operation: sdk.OpFetchProducts, Outcome: outcome, Latency: latency, Attempt: 1, Items: 20}
	}
	calls := []platform.CallRecord{
		fetch("ok", 10*ms),
		fetch("ok", 30*ms),
		fetch("rate_limited", 5*ms),
		fetch("unavailable", time.Second),
		fetch("timeout", 30*time.Second),
		{Platform: "tb", Operation: sdk.OpListProducts, Outcome: "ok", Latency: 50 * ms, Attempt: 1, Items: 100},
		{Platform: "pdd", Operation: sdk.OpFetchProducts, Outcome: "auth", Code: "10019", Latency: 2 * ms, Attempt: 1},
		{Platform: "pdd", Operation: sdk.OpFetchProducts, Outcome: "brand_new_kind", Latency: 4 * ms, Attempt: 1},
	}
	calls[0].Waited = 5 * ms
	calls[1].Attempt, calls[1].Waited = 2, 100*ms
	calls[3].Attempt, calls[3].BudgetExhausted = 3, true
	for _, c := range calls {
		r.CallFinished(c)
	}
	s := query(t, r, stats.Query{Range: time.Minute})

	tbFetch := stats.Row{
		Platform: "tb", Operation: "fetch_products",
		Calls: 5, Succeeded: 2, SuccessRate: 0.4,
		Errors:      map[string]int64{"rate_limited": 1, "unavailable": 1, "timeout": 1},
		RateLimited: 1, RateLimitedShare: 0.2,
		Retries: 2, BudgetExhausted: 1, Items: 100,
		Waited: 105 * ms, MeanWait: 21 * ms,
		P50: 30 * ms, P95: 30 * time.Second, P99: 30 * time.Second,
		MeanLatency: (10 + 30 + 5 + 1000 + 30000) * ms / 5, MaxLatency: 30 * time.Second,
	}
	tbList := stats.Row{
		Platform: "tb", Operation: "list_products", Calls: 1, Succeeded: 1, SuccessRate: 1,
		Errors: map[string]int64{}, Items: 100,
		P50: 50 * ms, P95: 50 * ms, P99: 50 * ms, MeanLatency: 50 * ms, MaxLatency: 50 * ms,
	}
	pddFetch := stats.Row{
		Platform: "pdd", Operation: "fetch_products", Calls: 2,
		Errors: map[string]int64{"auth": 1, "unknown": 1},
		P50:    2 * ms, P95: 4 * ms, P99: 4 * ms, MeanLatency: 3 * ms, MaxLatency: 4 * ms,
	}
	if len(s.Rows) != 3 {
		t.Fatalf("%d rows, want 3: %+v", len(s.Rows), s.Rows)
	}
	checkRow(t, s.Rows[0], pddFetch)
	checkRow(t, s.Rows[1], tbFetch)
	checkRow(t, s.Rows[2], tbList)
	checkRow(t, s.Total, stats.Row{
		Calls: 8, Succeeded: 3, SuccessRate: 3.0 / 8,
		Errors:      map[string]int64{"rate_limited": 1, "unavailable": 1, "timeout": 1, "auth": 1, "unknown": 1},
		RateLimited: 1, RateLimitedShare: 1.0 / 8,
		Retries: 2, BudgetExhausted: 1, Items: 200,
		Waited: 105 * ms, MeanWait: 105 * ms / 8,
		P50: 10 * ms, P95: 30 * time.Second, P99: 30 * time.Second,
		MeanLatency: (10 + 30 + 5 + 1000 + 30000 + 50 + 2 + 4) * ms / 8, MaxLatency: 30 * time.Second,
	})
	if !s.From.Equal(noon.Add(-time.Minute)) || !s.To.Equal(clk.Now()) {
		t.Errorf("window [%v, %v), want [%v, %v)", s.From, s.To, noon.Add(-time.Minute), clk.Now())
	}
}

// TestQuantiles records 1,000 latencies of known distributions and checks
// p50, p95 and p99 against the exact nearest-rank quantiles.
func TestQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	jitter := func(d time.Duration) time.Duration { return time.Duration(float64(d) * (0.8 + 0.4*rng.Float64())) }
	for name, gen := range map[string]func(i int) time.Duration{
		"uniform 1..1000 ms": func(i int) time.Duration { return time.Duration(i+1) * time.Millisecond },
		"log-normal around 80 ms": func(int) time.Duration {
			return time.Duration(math.Exp(math.Log(float64(80*time.Millisecond)) + rng.NormFloat64()))
		},
		"90% fast, 10% slow": func(i int) time.Duration {
			if i%10 == 0 {
				return jitter(2 * time.Second)
			}
			return jitter(2 * time.Millisecond)
		},
		"constant 123.456 ms": func(int) time.Duration { return 123456 * time.Microsecond },
		"microseconds":        func(i int) time.Duration { return time.Duration(1000 + 37*i) },
	} {
		t.Run(name, func(t *testing.T) {
			r := newRecorder(t, memDB(t), &clock{t: noon}, stats.Options{})
			latencies := make([]time.Duration, 1000)
			var sum time.Duration
			for i := range latencies {
				latencies[i] = gen(i)
				sum += latencies[i]
				rec := ok("tb", sdk.OpFetchProducts)
				rec.Latency = latencies[i]
				r.CallFinished(rec)
			}
			slices.Sort(latencies)
			got := query(t, r, stats.Query{Range: time.Minute}).Total
			for _, q := range []struct {
				name string
				got  time.Duration
				rank int
			}{{"p50", got.P50, 500}, {"p95", got.P95, 950}, {"p99", got.P99, 990}} {
				if want := latencies[q.rank-1]; !near(q.got, want) {
					t.Errorf("%s = %v, want %v ± %.1f%%", q.name, q.got, want, 100*stats.QuantileError)
				}
			}
			if got.MeanLatency != sum/1000 || got.MaxLatency != latencies[999] {
				t.Errorf("mean %v max %v, want %v and %v", got.MeanLatency, got.MaxLatency, sum/1000, latencies[999])
			}
		})
	}
}

// windowScenario records calls over four minutes, flushing between some:
//
//	11:58  tb fetch 1                     stored
//	11:59  tb fetch 2                     stored
//	12:00  tb list 1, pdd fetch timeout 1  stored
//	12:01  tb fetch 4 stored, then 1 not yet flushed
//
// and leaves the clock at 12:01:30.
func windowScenario(t *testing.T) (*stats.Recorder, *clock) {
	clk := &clock{t: noon.Add(-90 * time.Second)}
	r := newRecorder(t, memDB(t), clk, stats.Options{})
	r.CallFinished(ok("tb", sdk.OpFetchProducts))
	clk.Set(noon.Add(-time.Second))
	record(r, ok("tb", sdk.OpFetchProducts), 2)
	flush(t, r)
	clk.Set(noon)
	r.CallFinished(ok("tb", sdk.OpListProducts))
	r.CallFinished(platform.CallRecord{Platform: "pdd", Operation: sdk.OpFetchProducts, Outcome: platform.OutcomeTimeout, Latency: 10 * time.Second})
	flush(t, r)
	clk.Set(noon.Add(70 * time.Second))
	record(r, ok("tb", sdk.OpFetchProducts), 4)
	flush(t, r)
	clk.Set(noon.Add(80 * time.Second))
	r.CallFinished(ok("tb", sdk.OpFetchProducts))
	clk.Set(noon.Add(90 * time.Second))
	return r, clk
}

func TestWindows(t *testing.T) {
	r, clk := windowScenario(t)
	for name, tc := range map[string]struct {
		q     stats.Query
		calls int64
		from  time.Time
		rows  []string
	}{
		"1m: this minute and the last": {q: stats.Query{Range: time.Minute}, calls: 7, from: noon,
			rows: []string{"pdd/fetch_products", "tb/fetch_products", "tb/list_products"}},
		"90s rounds up to 2m":     {q: stats.Query{Range: 90 * time.Second}, calls: 9, from: noon.Add(-time.Minute)},
		"3m":                      {q: stats.Query{Range: 3 * time.Minute}, calls: 10, from: noon.Add(-2 * time.Minute)},
		"1h":                      {q: stats.Query{Range: time.Hour}, calls: 10, from: noon.Add(-59 * time.Minute)},
		"platform":                {q: stats.Query{Platform: "tb", Range: time.Hour}, calls: 9, rows: []string{"tb/fetch_products", "tb/list_products"}},
		"operation":               {q: stats.Query{Operation: "fetch_products", Range: time.Hour}, calls: 9, rows: []string{"pdd/fetch_products", "tb/fetch_products"}},
		"platform and operation":  {q: stats.Query{Platform: "tb", Operation: "list_products", Range: time.Hour}, calls: 1, rows: []string{"tb/list_products"}},
		"unknown platform: empty": {q: stats.Query{Platform: "nope", Range: time.Hour}, rows: []string{}},
		"operation without calls": {q: stats.Query{Operation: "set_prices", Range: time.Hour}, rows: []string{}},
	} {
		t.Run(name, func(t *testing.T) {
			s := query(t, r, tc.q)
			if s.Total.Calls != tc.calls {
				t.Errorf("total %d calls, want %d", s.Total.Calls, tc.calls)
			}
			var sum int64
			var rows []string
			for _, row := range s.Rows {
				sum += row.Calls
				rows = append(rows, row.Platform+"/"+row.Operation)
			}
			if sum != s.Total.Calls {
				t.Errorf("rows add up to %d calls, the total says %d", sum, s.Total.Calls)
			}
			if tc.rows != nil && !slices.Equal(rows, tc.rows) && !(len(rows) == 0 && len(tc.rows) == 0) {
				t.Errorf("rows %q, want %q", rows, tc.rows)
			}
			if !tc.from.IsZero() && !s.From.Equal(tc.from) {
				t.Errorf("from %v, want %v", s.From, tc.from)
			}
			if !s.To.Equal(clk.Now()) {
				t.Errorf("to %v, want %v", s.To, clk.Now())
			}
		})
	}
}

func TestEmptyWindow(t *testing.T) {
	r, clk := windowScenario(t)
	clk.Set(noon.Add(5 * time.Minute))
	for _, s := range []*stats.Summary{
		query(t, r, stats.Query{Range: time.Minute, Series: true}),
		query(t, newRecorder(t, memDB(t), clk, stats.Options{}), stats.Query{Range: 24 * time.Hour}),
	} {
		if s.Rows == nil || len(s.Rows) != 0 || s.Total.Calls != 0 || s.Total.Errors == nil {
			t.Errorf("empty window: %+v", s)
		}
		// encoding/json refuses NaN and infinities.
		if _, err := json.Marshal(s); err != nil {
			t.Errorf("an empty summary does not encode: %v", err)
		}
		checkRow(t, s.Total, stats.Row{Errors: map[string]int64{}})
	}
}

func TestSeries(t *testing.T) {
	r, _ := windowScenario(t)
	calls := func(s *stats.Summary) (out []int64) {
		for i, p := range s.Series {
			if want := s.From.Add(time.Duration(i) * time.Minute); !p.Minute.Equal(want) {
				t.Errorf("point %d at %v, want %v", i, p.Minute, want)
			}
			out = append(out, p.Calls)
		}
		return out
	}
	for name, tc := range map[string]struct {
		q    stats.Query
		want []int64
	}{
		"all":              {stats.Query{Range: 5 * time.Minute}, []int64{0, 0, 1, 2, 2, 5}},
		"platform":         {stats.Query{Platform: "tb", Range: 3 * time.Minute}, []int64{1, 2, 1, 5}},
		"one row":          {stats.Query{Platform: "pdd", Operation: "fetch_products", Range: 2 * time.Minute}, []int64{0, 1, 0}},
		"no series wanted": {stats.Query{Range: 5 * time.Minute}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			tc.q.Series = tc.want != nil
			s := query(t, r, tc.q)
			if got := calls(s); !slices.Equal(got, tc.want) {
				t.Errorf("calls per minute %v, want %v", got, tc.want)
			}
		})
	}
	s := query(t, r, stats.Query{Range: time.Minute, Series: true})
	if p := s.Series[0]; p.Errors["timeout"] != 1 || !near(p.P50, 10*time.Millisecond) || !near(p.P95, 10*time.Second) || p.SuccessRate != 0.5 {
		t.Errorf("point of 12:00: %+v", p)
	}
}

// TestSeriesOfUnflushedMinutes checks that counts not yet flushed land in
// their minute, whether or not the store has that minute too.
func TestSeriesOfUnflushedMinutes(t *testing.T) {
	clk := &clock{t: noon}
	r := newRecorder(t, memDB(t), clk, stats.Options{})
	record(r, ok("tb", sdk.OpFetchProducts), 3)
	flush(t, r)
	r.CallFinished(ok("tb", sdk.OpFetchProducts))
	clk.Set(noon.Add(time.Minute))
	record(r, ok("tb", sdk.OpFetchProducts), 2)
	clk.Set(noon.Add(3 * time.Minute))
	r.CallFinished(ok("tb", sdk.OpFetchProducts))
	s := query(t, r, stats.Query{Range: 3 * time.Minute, Series: true})
	var got []int64
	for _, p := range s.Series {
		got = append(got, p.Calls)
	}
	if want := []int64{4, 2, 0, 1}; !slices.Equal(got, want) {
		t.Errorf("calls per minute %v, want %v", got, want)
	}
}

func TestQueryRejects(t *testing.T) {
	r := newRecorder(t, memDB(t), &clock{t: noon}, stats.Options{Retention: 6 * time.Hour})
	if r.Retention() != 6*time.Hour {
		t.Errorf("Retention() = %v", r.Retention())
	}
	for name, q := range map[string]stats.Query{
		"no range":           {},
		"under a minute":     {Range: 59 * time.Second},
		"negative":           {Range: -time.Hour},
		"over the retention": {Range: 6*time.Hour + time.Second},
		"unknown operation":  {Range: time.Hour, Operation: "fetch"},
	} {
		if _, err := r.Query(context.Background(), q); !errors.Is(err, stats.ErrInvalidQuery) {
			t.Errorf("%s: %v, want ErrInvalidQuery", name, err)
		}
	}
	query(t, r, stats.Query{Range: 6 * time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Query(ctx, stats.Query{Range: time.Hour}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled query: %v", err)
	}
}

func TestNewRejects(t *testing.T) {
	if _, err := stats.New(nil, stats.Options{}); err == nil {
		t.Error("New without a database succeeded")
	}
	if _, err := stats.New(memDB(t), stats.Options{Retention: -time.Hour}); err == nil {
		t.Error("New with a negative retention succeeded")
	}
}

// TestSurvivesRestart closes and reopens the recorder and the database in
// the middle of a minute: counts of the same minute add up exactly.
func TestSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	clk := &clock{t: noon.Add(10 * time.Second)}
	open := func() (*store.DB, *stats.Recorder) {
		db, err := store.Open(store.Options{Dir: dir, GCInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		r, err := stats.New(db, stats.Options{FlushEvery: -1, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		return db, r
	}
	shut := func(db *store.DB, r *stats.Recorder) {
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	slow := ok("tb", sdk.OpFetchProducts)
	slow.Latency, slow.Outcome, slow.Attempt = 2*time.Second, "unavailable", 2

	db, r := open()
	record(r, ok("tb", sdk.OpFetchProducts), 10)
	flush(t, r) // part flushed before Close, part by Close
	record(r, slow, 3)
	shut(db, r)

	clk.Set(noon.Add(40 * time.Second))
	db, r = open()
	record(r, ok("tb", sdk.OpFetchProducts), 5)
	record(r, slow, 1)
	check := func(when string) {
		t.Helper()
		got := query(t, r, stats.Query{Range: time.Minute}).Total
		if got.Calls != 19 || got.Succeeded != 15 || got.Retries != 4 || got.Errors["unavailable"] != 4 || got.MaxLatency != 2*time.Second {
			t.Errorf("%s: %+v, want 19 calls, 15 succeeded, 4 retries and unavailable", when, got)
		}
		if !near(got.P99, 2*time.Second) || !near(got.P50, 10*time.Millisecond) {
			t.Errorf("%s: p50 %v p99 %v", when, got.P50, got.P99)
		}
	}
	check("before a flush")
	flush(t, r)
	check("after a flush")
	flush(t, r)
	check("after a second flush")
	shut(db, r)

	db, r = open()
	check("after a second restart")
	shut(db, r)
}

func TestCloseFlushesAndDropsLaterCalls(t *testing.T) {
	db := memDB(t)
	clk := &clock{t: noon}
	r := newRecorder(t, db, clk, stats.Options{})
	record(r, ok("tb", sdk.OpFetchProducts), 3)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	record(r, ok("tb", sdk.OpFetchProducts), 2)
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if n := r.Pending(); n != 0 {
		t.Errorf("%d buckets pending after Close", n)
	}
	if got := query(t, newRecorder(t, db, clk, stats.Options{}), stats.Query{Range: time.Minute}).Total.Calls; got != 3 {
		t.Errorf("%d calls stored, want 3", got)
	}
}

// TestFailedFlushKeepsCounts flushes into a closed database: the counts
// stay for the next flush.
func TestFailedFlushKeepsCounts(t *testing.T) {
	db, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: noon}
	r, err := stats.New(db, stats.Options{FlushEvery: -1, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	record(r, ok("tb", sdk.OpFetchProducts), 2)
	clk.Set(noon.Add(time.Minute))
	record(r, ok("tb", sdk.OpListProducts), 1)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Flush(context.Background()); err == nil {
		t.Fatal("a flush into a closed database succeeded")
	}
	r.CallFinished(ok("tb", sdk.OpListProducts))
	if n := r.Pending(); n != 2 {
		t.Errorf("%d buckets pending after a failed flush, want 2", n)
	}
	if err := r.Close(); err == nil {
		t.Error("Close into a closed database succeeded")
	}
}

// TestConcurrentCalls reports calls from many goroutines while flushes
// and queries run: none is lost or counted twice.
func TestConcurrentCalls(t *testing.T) {
	db := memDB(t)
	clk := &clock{t: noon}
	r := newRecorder(t, db, clk, stats.Options{})
	const workers, each = 8, 2000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				rec := ok([]string{"tb", "pdd"}[w%2], sdk.Operations[i%3])
				r.CallFinished(rec)
			}
		})
	}
	stop := make(chan struct{})
	var bg sync.WaitGroup
	bg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := r.Flush(context.Background()); err != nil {
				t.Error(err)
				return
			}
			if _, err := r.Query(context.Background(), stats.Query{Range: time.Minute}); err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Wait()
	close(stop)
	bg.Wait()
	s := query(t, r, stats.Query{Range: time.Minute})
	if s.Total.Calls != workers*each || len(s.Rows) != 6 {
		t.Errorf("%d calls in %d rows, want %d in 6", s.Total.Calls, len(s.Rows), workers*each)
	}
}

func TestRetention(t *testing.T) {
	db := memDB(t)
	clk := &clock{t: noon.Add(-30 * time.Minute)}
	r := newRecorder(t, db, clk, stats.Options{Retention: 10 * time.Minute})
	// One call a minute from 11:30 to 12:00, on 20 platforms: 620 buckets,
	// more than one retention transaction deletes.
	for m := range 31 {
		clk.Set(noon.Add(time.Duration(m-30) * time.Minute))
		for p := range 20 {
			r.CallFinished(ok(string(rune('a'+p)), sdk.OpFetchProducts))
		}
	}
	flush(t, r)
	n, err := r.Expire(context.Background())
	if err != nil || n != 20*20 {
		t.Fatalf("Expire deleted %d, %v; want the 400 buckets before 11:50", n, err)
	}
	if n, err := r.Expire(context.Background()); err != nil || n != 0 {
		t.Errorf("second Expire deleted %d, %v", n, err)
	}
	// A recorder that keeps an hour reads what is left.
	s := query(t, newRecorder(t, db, clk, stats.Options{Retention: time.Hour}), stats.Query{Range: time.Hour, Series: true})
	for _, p := range s.Series {
		want := int64(20)
		if p.Minute.Before(noon.Add(-10 * time.Minute)) {
			want = 0
		}
		if p.Calls != want {
			t.Errorf("%v: %d calls, want %d", p.Minute.Format("15:04"), p.Calls, want)
		}
	}
	if s.Total.Calls != 11*20 {
		t.Errorf("%d calls kept, want %d", s.Total.Calls, 11*20)
	}
	// The longest query of the short retention sees all it keeps.
	if got := query(t, r, stats.Query{Range: 10 * time.Minute}).Total.Calls; got != 11*20 {
		t.Errorf("a query over the whole retention sees %d calls, want %d", got, 11*20)
	}
}

func BenchmarkCallFinished(b *testing.B) {
	rec := ok("tb", sdk.OpFetchProducts)
	b.Run("one series", func(b *testing.B) {
		r := newRecorder(b, memDB(b), nil, stats.Options{})
		b.ReportAllocs()
		for b.Loop() {
			r.CallFinished(rec)
		}
	})
	b.Run("70 series", func(b *testing.B) {
		r := newRecorder(b, memDB(b), nil, stats.Options{})
		var recs []platform.CallRecord
		for p := range 10 {
			for _, op := range sdk.Operations {
				rec := ok(string(rune('a'+p)), op)
				rec.Latency = time.Duration(p+1) * time.Duration(op) * time.Millisecond
				recs = append(recs, rec)
			}
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			r.CallFinished(recs[i%len(recs)])
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		r := newRecorder(b, memDB(b), nil, stats.Options{})
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r.CallFinished(rec)
			}
		})
	})
}
