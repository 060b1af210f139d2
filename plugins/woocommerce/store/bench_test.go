package store_test

import (
	"fmt"
	"testing"

	"github.com/marketsync/marketsync/plugins/woocommerce/sim"
	"github.com/marketsync/marketsync/sdk"
)

// BenchmarkUpsert1000x3 publishes 1,000 new products of 3 variants each
// to a fresh simulated store, in calls of 100 (the cap), and reports the
// store's own count of requests by kind.
func BenchmarkUpsert1000x3(b *testing.B) {
	for n := range b.N {
		b.StopTimer()
		s := sim.ServeTest(b, sim.Options{})
		p := configure(b, s, s.URL, nil)
		b.StartTimer()
		for call := range 10 {
			products := make([]sdk.Product, 0, 100)
			for i := range 100 {
				products = append(products, product(fmt.Sprintf("B%d-%04d", n, call*100+i), 3))
			}
			upsert(b, p, products...)
		}
		st := s.Stats()
		b.ReportMetric(float64(st.Calls["POST products/batch"]), "product-batches/op")
		b.ReportMetric(float64(st.Calls["POST products/{id}/variations/batch"]), "variation-batches/op")
		b.ReportMetric(float64(st.Calls["GET products"]), "sku-lookups/op")
	}
}
