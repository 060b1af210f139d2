package cache

import (
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
	"github.com/marketsync/marketsync/sdk/model"
	"google.golang.org/protobuf/proto"
)

// BenchmarkZipfReads reads product_info entries of 10,000 products, about
// 1.5 KB each, drawn from a Zipf distribution (a few products are read
// very often, most seldom, as sync runs and ERP lookups do) through a
// cache whose L1 holds about a tenth of them, with L2 in Badger on disk.
// Each read moves a fake clock by 10 ms (100 reads a second), so the
// 10-minute TTL expires entries as the run goes. The loader is a fake
// platform that counts its calls. It reports the hit rate, its L1 and L2
// parts, and the share of reads that made no platform call.
//
//	make bench-cache
func BenchmarkZipfReads(b *testing.B) {
	for _, s := range []float64{1.1, 1.01} {
		b.Run("s="+strconv.FormatFloat(s, 'f', -1, 64), func(b *testing.B) { zipfReads(b, s) })
	}
}

const (
	zipfKeys      = 10_000
	zipfValueSize = 1500
)

func zipfReads(b *testing.B, s float64) {
	db := storetest.Open(b, store.Options{Dir: b.TempDir(), GCInterval: -1})
	clk := newClock()
	c := newCache(b, Options{DB: db, Now: clk.Now, MaxCost: zipfKeys / 10 * (zipfValueSize + 200)})
	p := products(b, c)
	template := &model.Product{
		Title:       map[string]string{"en": strings.Repeat("t", 100), "zh": strings.Repeat("标", 40)},
		Description: map[string]string{"en": strings.Repeat("d", zipfValueSize-300)},
	}
	var calls atomic.Int64
	load := func(id string) func(context.Context) (*model.Product, error) {
		return func(context.Context) (*model.Product, error) {
			calls.Add(1)
			v := proto.Clone(template).(*model.Product)
			v.Id = id
			return v, nil
		}
	}
	zipf := rand.NewZipf(rand.New(rand.NewPCG(1, 2)), s, 1, zipfKeys-1)
	keys := make([]string, zipfKeys)
	for i := range keys {
		keys[i] = strconv.Itoa(i)
	}
	b.ResetTimer()
	for range b.N {
		key := keys[zipf.Uint64()]
		if _, err := p.Get(b.Context(), key, load(key)); err != nil {
			b.Fatal(err)
		}
		clk.Advance(10 * time.Millisecond)
	}
	b.StopTimer()
	st := c.Stats().Total
	n := float64(st.Requests)
	b.ReportMetric(100*st.HitRate, "hit_%")
	b.ReportMetric(100*float64(st.HitsL1)/n, "l1_hit_%")
	b.ReportMetric(100*float64(st.HitsL2)/n, "l2_hit_%")
	b.ReportMetric(100*float64(st.CallsSaved)/n, "calls_saved_%")
	b.ReportMetric(float64(calls.Load()), "platform_calls")
}
