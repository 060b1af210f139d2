package store

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/marketsync/marketsync/plugins/shopify/sim"
	"github.com/marketsync/marketsync/sdk"
)

// costLimiter is the simplest cost-aware caller: it admits a call when
// its estimate of the bucket holds the operation's declared Cost (the
// requested cost of its largest document), waits on the store's clock
// otherwise, and re-reads the bucket from each answer's Quota (Remaining
// after the actual cost was refunded). It is what the platform actor
// needs to do for Shopify; the actor itself counts calls, not points.
type costLimiter struct {
	clock     *sim.Running
	rate      float64
	limit     float64
	available float64
	at        time.Time
}

func (l *costLimiter) estimate() float64 {
	return math.Min(l.limit, l.available+l.rate*l.clock.Clock.Now().Sub(l.at).Seconds())
}

// admit waits until cost is available.
func (l *costLimiter) admit(cost float64) {
	if missing := cost - l.estimate(); missing > 0 {
		l.clock.Clock.Advance(time.Duration(math.Ceil(missing / l.rate * float64(time.Second))))
	}
}

// observe adopts the bucket an answer reported.
func (l *costLimiter) observe(q *sdk.Quota) {
	if q != nil {
		l.available, l.at = float64(q.Remaining), l.clock.Clock.Now()
	}
}

// At the cost limit, a cost-aware caller spends at least 95 % of the
// restore rate with at most 1 % of its calls THROTTLED, over 60 s of
// demand on the store's clock: synchronous upserts of 10 products (100
// points requested and spent) mixed with reads of 9 products (927
// requested, a few dozen spent).
func TestThroughputAtTheCostLimit(t *testing.T) {
	s := sim.ServeTest(t, sim.Options{})
	p := configured(t, s, nil)
	d := p.Describe()
	l := &costLimiter{clock: s, rate: d.Limits.Rate, limit: float64(d.Limits.Burst), available: float64(d.Limits.Burst), at: s.Clock.Now()}
	ctx := context.Background()
	items := catalogue(10, "taobao")
	first, err := p.UpsertProducts(ctx, &sdk.UpsertProductsRequest{Items: items})
	if err != nil {
		t.Fatal(err)
	}
	l.observe(first.Quota)
	var ids []string
	for _, r := range first.Results {
		ids = append(ids, r.RemoteID)
	}
	ids = ids[:9]
	call := func(op sdk.Operation) (*sdk.Quota, error) {
		if op == sdk.OpUpsertProducts {
			resp, err := p.UpsertProducts(ctx, &sdk.UpsertProductsRequest{Items: items})
			if err != nil {
				return nil, err
			}
			return resp.Quota, nil
		}
		resp, err := p.GetRemoteProducts(ctx, &sdk.GetRemoteProductsRequest{RemoteIDs: ids})
		if err != nil {
			return nil, err
		}
		return resp.Quota, nil
	}
	s.ResetStats()
	start, bankStart := s.Clock.Now(), s.Available()
	calls, throttled := 0, 0
	for n := 0; s.Clock.Now().Sub(start) < time.Minute; n++ {
		op := sdk.OpUpsertProducts
		if n%5 == 4 {
			op = sdk.OpGetRemoteProducts
		}
		l.admit(d.Limits.Cost(op))
		if s.Clock.Now().Sub(start) >= time.Minute {
			break
		}
		calls++
		q, err := call(op)
		if e, ok := sdk.AsError(err); ok && e.Kind == sdk.KindRateLimited {
			throttled++
			s.Clock.Advance(e.RetryAfter)
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		l.observe(q)
	}
	st := s.Stats()
	elapsed := s.Clock.Now().Sub(start).Seconds()
	// Of the points the restore rate gave during the minute, the share
	// spent: what was spent, less what came out of the bucket's starting
	// balance (or plus what was banked in it at the end).
	restored := l.rate * elapsed
	fromRestore := st.Points - (bankStart - s.Available())
	used := fromRestore / restored
	t.Logf("%d calls in %.0f s of store time: %.0f points spent, %.0f of them from the %.0f restored (%.1f %%); bucket %.0f at the start, %.0f at the end; %d of %d documents THROTTLED (%.2f %%)",
		calls, elapsed, st.Points, fromRestore, restored, 100*used, bankStart, s.Available(), st.Throttled, st.Documents, 100*float64(st.Throttled)/float64(max(st.Documents, 1)))
	if used < 0.95 {
		t.Errorf("spent %.1f %% of the restore rate, want at least 95 %%", 100*used)
	}
	if float64(st.Throttled) > 0.01*float64(st.Documents) || throttled > calls/100 {
		t.Errorf("%d of %d documents THROTTLED, want at most 1 %%", st.Throttled, st.Documents)
	}
}
