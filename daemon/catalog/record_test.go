package catalog

import (
	"os"
	"testing"
	"time"
)

// TestReadsRecordsOfEarlierVersions reads a product stored by an earlier
// marketsync (testdata/product-v1.bin: the catalogue's first layout, a
// version byte, the collection time and the product, written before
// records carried a schema version). The catalogue depends on sdk/model
// only, never on the plugin protocol, so this keeps holding when the
// protocol changes.
func TestReadsRecordsOfEarlierVersions(t *testing.T) {
	b, err := os.ReadFile("testdata/product-v1.bin")
	if err != nil {
		t.Fatal(err)
	}
	e, err := decode("sandbox", b)
	if err != nil {
		t.Fatal(err)
	}
	p := e.Product
	if p.GetId() != "100042" || p.GetTitle()["zh-CN"] != "山海简约 亚麻双肩包" || len(p.GetVariants()) != 2 {
		t.Fatalf("read %v", p)
	}
	v := p.GetVariants()[0]
	if v.GetSku() != "100042-1" || v.GetPrice().GetAmount() != 28762 || v.GetPrice().GetCurrency() != "CNY" || v.GetStock() != 153 || v.GetOptions()[0].GetValue() != "黑色" {
		t.Errorf("variant read as %v", v)
	}
	if !p.GetUpdatedAt().AsTime().Equal(time.Date(2026, 11, 30, 8, 15, 0, 0, time.UTC)) {
		t.Errorf("updated_at read as %v", p.GetUpdatedAt().AsTime())
	}
	if !e.CollectedAt.Equal(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("collected at %v", e.CollectedAt)
	}
	if err := p.Validate(); err != nil {
		t.Errorf("an old record reads as an invalid product: %v", err)
	}
}
