package e2e

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/marketsync/marketsync/daemon/agent/agenttest"
	"github.com/marketsync/marketsync/daemon/client"
)

// perMarket is how many products each test collects from each platform:
// under -short 100, still enough calls to run into every rate limit.
func perMarket() int {
	if testing.Short() {
		return 100
	}
	return 250
}

// limits are each simulator's rate limit and the higher one its platform
// block tells the agent, so that the agent meets the platform's own
// rate-limit refusals and has to slow down to the simulator's rate. The
// five hundred calls of each single-id platform need ten seconds at fifty
// a second, plus a second for each ban the simulator states when it
// refuses one. Taobao takes twenty ids a call, and its two dozen calls get
// a limit low enough that they are sure to run into it.
var limits = map[string]struct{ sim, agent rateLimit }{
	"taobao":      {sim: rateLimit{rate: 5, burst: 2}, agent: rateLimit{rate: 10, burst: 5}},
	"alibaba1688": {sim: rateLimit{rate: 50, burst: 5}, agent: rateLimit{rate: 80, burst: 10}},
	"pinduoduo":   {sim: rateLimit{rate: 50, burst: 5}, agent: rateLimit{rate: 80, burst: 10}},
	"aliexpress":  {sim: rateLimit{rate: 50, burst: 5}, agent: rateLimit{rate: 80, burst: 10}},
}

// One agent with the four plugins collects 250 products (100 under -short)
// from each platform by id and then the same ones by product URL, the four
// platforms at once, each against a simulator that refuses calls over its
// rate limit. Every product read back through the API is what the simulator's
// catalogue says it must be; off-shelf, deleted and unknown ids are items
// that fail alone with NOT_FOUND.
func TestCollectFromEveryMarketplace(t *testing.T) {
	t.Parallel() // each runs its own agent and simulators; most of their time is spent waiting on rate limits and processes
	ms := markets(t)
	var hcl strings.Builder
	for _, m := range ms {
		l := limits[m.plugin]
		m.SetRateLimit(l.sim.rate, l.sim.burst)
		hcl.WriteString(m.block(l.agent))
	}
	a := agenttest.New(t, bin, hcl.String())
	ids := make([][]string, len(ms))
	runs := make([]struct{ byID, byURL *client.Job }, len(ms))
	errs := make([]error, len(ms))
	// The platforms' jobs run at once on goroutines rather than in
	// parallel subtests, which -parallel holds to GOMAXPROCS at a time.
	var wg sync.WaitGroup
	for i, m := range ms {
		ids[i] = m.sample(perMarket())
		wg.Go(func() {
			r := &runs[i]
			if r.byID, errs[i] = collect(a.Client, m.plugin, ids[i]); errs[i] == nil {
				r.byURL, errs[i] = collect(a.Client, m.plugin, m.urls(ids[i]))
			}
		})
	}
	wg.Wait()
	for i, m := range ms {
		t.Run(m.plugin, func(t *testing.T) {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			byID, byURL := runs[i].byID, runs[i].byURL
			m.checkJob(t, a.Client, byID, ids[i])
			m.checkJob(t, a.Client, byURL, ids[i])
			m.checkCatalogue(t, a.Client, ids[i], byURL)

			calls := int64(byID.Calls + byURL.Calls)
			var lookups int64
			if m.lookups != nil {
				lookups = m.lookups()
			}
			if n := m.requests() - lookups; n != calls {
				t.Errorf("the simulator saw %d requests (%d of them name lookups), the jobs counted %d plugin calls", n+lookups, lookups, calls)
			}
			if m.limited() == 0 {
				t.Errorf("the simulator refused no call for its rate limit (%d calls at up to %+v against its %+v)", calls, limits[m.plugin].agent, limits[m.plugin].sim)
			}
			t.Logf("%d plugin calls, %d refused for the rate limit; by id %s, by URL %s",
				calls, m.limited(), byID.FinishedAt.Sub(byID.StartedAt), byURL.FinishedAt.Sub(byURL.StartedAt))
		})
	}
}

// checkJob checks a finished collect job of ids: it ended partial, never
// failed as a whole, and each item, in request order, succeeded exactly
// when the catalogue has a product for it, or failed as the simulator
// says it must.
func (m *market) checkJob(t *testing.T, c *client.Client, j *client.Job, ids []string) {
	t.Helper()
	want := 0
	for _, id := range ids {
		if m.found(id) {
			want++
		}
	}
	if j.State != client.JobPartial || j.Error != "" || j.Total != len(ids) || j.Succeeded != want || j.Failed != len(ids)-want {
		t.Fatalf("job %+v; want partial with %d of %d succeeded", j, want, len(ids))
	}
	got := items(t, c, j.ID)
	if len(got) != len(ids) {
		t.Fatalf("%d items, want %d", len(got), len(ids))
	}
	for i, it := range got {
		if it.ID != ids[i] {
			t.Fatalf("item %d is %s, want %s", i, it.ID, ids[i])
		}
		switch {
		case it.State == client.ItemSucceeded && m.found(it.ID):
		case it.State == client.ItemFailed:
			if err := m.check(it.ID, nil, it.Error); err != nil {
				t.Error(err)
			}
		default:
			t.Errorf("item %s: %s, error %v", it.ID, it.State, it.Error)
		}
	}
}

// checkCatalogue reads every id back through the API: a product that
// matches the simulator's account and was stored by the job last, or no
// product at all.
func (m *market) checkCatalogue(t *testing.T, c *client.Client, ids []string, last *client.Job) {
	t.Helper()
	for _, id := range ids {
		p, err := c.Products().Info(context.Background(), m.plugin+":"+id)
		if !m.found(id) {
			var apiErr *client.APIError
			if !errors.As(err, &apiErr) || !apiErr.IsNotFound() {
				t.Errorf("%s is not for sale but the catalogue answers %v, %v", id, p, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		if err := m.check(id, &p.Product, nil); err != nil {
			t.Error(err)
		}
		if p.Platform != m.plugin || p.CollectedAt.Before(last.StartedAt) || p.CollectedAt.After(last.FinishedAt) {
			t.Errorf("%s: from %s collected at %s, want from %s during job %s (%s to %s)",
				id, p.Platform, p.CollectedAt, m.plugin, last.ID, last.StartedAt, last.FinishedAt)
		}
	}
}
