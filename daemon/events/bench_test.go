package events_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/events"
	"github.com/marketsync/marketsync/daemon/outbox"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
)

// BenchmarkDeliver measures the outbox end to end on disk: emit 1,000
// product.collected events in transactions of 50 (a collect job's
// checkpoints), then deliver them, one signed POST each, to a local sink
// that answers at once. It reports events delivered per second.
func BenchmarkDeliver(b *testing.B) {
	const n = 1000
	got := make(chan struct{}, n)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		got <- struct{}{}
	}))
	defer srv.Close()
	db := storetest.Open(b, store.Options{Dir: b.TempDir(), GCInterval: -1})
	e := events.New(events.Options{DB: db})
	defer e.Close()
	e.SetSinks([]events.Sink{sink("erp", srv.URL)})
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		for i := 0; i < n; i += 50 {
			err := db.Update(func(txn *store.Txn) error {
				for j := range 50 {
					if err := e.Emit(txn, outbox.ProductCollected, events.ProductCollected{Platform: "taobao", ProductID: "620000000025", JobID: "01KBG8Z7", Variants: i + j}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			e.Notify()
		}
		for range n {
			<-got
		}
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "events/s")
}
