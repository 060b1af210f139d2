package market

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/simkit"
)

func configure(t *testing.T, m *Market, values map[string]any) {
	t.Helper()
	cfg, err := sdk.NewConfig(spec, values)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Configure(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
}

func TestCatalogIsDeterministicAndValid(t *testing.T) {
	a := Catalog{Seed: 7, Count: 3000}
	b := Catalog{Seed: 7, Count: 3000}
	other := Catalog{Seed: 8, Count: 3000}
	differs := 0
	for i := range a.Count {
		p, err := a.Product(a.ID(i))
		if err != nil {
			t.Fatalf("product %d: %v", i, err)
		}
		if verr := p.Validate(); verr != nil {
			t.Fatalf("product %s is invalid: %v", p.ID, verr)
		}
		q, _ := b.Product(a.ID(i))
		if p.Title["en"] != q.Title["en"] || len(p.Variants) != len(q.Variants) || p.Variants[0].Price != q.Variants[0].Price {
			t.Fatalf("product %s differs between two catalogues with the same seed", p.ID)
		}
		if p.Title["zh-CN"] == "" || p.Title["en"] == "" {
			t.Fatalf("product %s lacks a localized title: %v", p.ID, p.Title)
		}
		r, _ := other.Product(a.ID(i))
		if r.Title["en"] != p.Title["en"] || r.Variants[0].Price != p.Variants[0].Price {
			differs++
		}
	}
	if differs < a.Count/2 {
		t.Errorf("only %d of %d products change with the seed", differs, a.Count)
	}
}

func TestCatalogVariety(t *testing.T) {
	c := Catalog{Seed: 1, Count: 1000}
	single, multi, twoAxes := 0, 0, 0
	for i := range c.Count {
		p, _ := c.Product(c.ID(i))
		switch {
		case len(p.Variants) == 1:
			single++
		default:
			multi++
		}
		if len(p.Variants[0].Options) == 2 {
			twoAxes++
		}
	}
	if single == 0 || multi == 0 || twoAxes == 0 {
		t.Errorf("catalogue lacks variety: %d single-variant, %d multi-variant, %d with two option axes", single, multi, twoAxes)
	}
}

func TestEAN13CheckDigit(t *testing.T) {
	// 6901234567892 is a valid EAN-13 (check digit 2).
	if got := ean13("690123456789"); got != "6901234567892" {
		t.Errorf("ean13 = %s, want 6901234567892", got)
	}
}

func TestFetchUnknownAndOffShelfAreItemErrors(t *testing.T) {
	m := New()
	configure(t, m, map[string]any{"products": 100, "offshelf_rate": 0.3})
	ids := []string{"100001", "999", "abc", "0100002", "100101"}
	for i := range 100 {
		ids = append(ids, m.catalog.ID(i))
	}
	resp, err := m.FetchProducts(context.Background(), &sdk.FetchProductsRequest{IDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Results) != len(ids) {
		t.Fatalf("%d results for %d ids", len(resp.Results), len(ids))
	}
	for i, id := range []string{"999", "abc", "0100002", "100101"} {
		r := resp.Results[i+1]
		if r.ID != id || r.Err == nil || r.Err.Kind != sdk.KindNotFound || r.Err.Code != "ITEM_NOT_FOUND" {
			t.Errorf("unknown id %q: got %+v, want per-item NOT_FOUND ITEM_NOT_FOUND", id, r)
		}
	}
	offShelf := 0
	for _, r := range resp.Results[5:] {
		if r.Err != nil {
			if r.Err.Code != "ITEM_OFF_SHELF" {
				t.Errorf("item %s: unexpected error %v", r.ID, r.Err)
			}
			offShelf++
		}
	}
	if offShelf < 15 || offShelf > 45 {
		t.Errorf("%d of 100 items off-shelf at rate 0.3", offShelf)
	}
}

func TestListPagesCoverTheCatalogueOnce(t *testing.T) {
	m := New()
	configure(t, m, map[string]any{"products": 250, "offshelf_rate": 0.1})
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		resp, err := m.ListProducts(context.Background(), &sdk.ListProductsRequest{Cursor: cursor, PageSize: 40})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(resp.IDs) > 40 {
			t.Fatalf("page of %d ids for page size 40", len(resp.IDs))
		}
		for _, id := range resp.IDs {
			if seen[id] {
				t.Fatalf("id %s listed twice", id)
			}
			seen[id] = true
		}
		if resp.NextCursor == "" {
			break
		}
		cursor = resp.NextCursor
	}
	want := 0
	for i := range 250 {
		if !m.catalog.OffShelf(i) {
			want++
			if !seen[m.catalog.ID(i)] {
				t.Errorf("on-shelf id %s never listed", m.catalog.ID(i))
			}
		}
	}
	if len(seen) != want {
		t.Errorf("listed %d ids, want %d on-shelf", len(seen), want)
	}
	if pages < 6 {
		t.Errorf("%d pages for ~225 ids at 40 per page", pages)
	}
	if _, err := m.ListProducts(context.Background(), &sdk.ListProductsRequest{Cursor: "not-a-cursor"}); !errors.Is(err, &sdk.Error{Kind: sdk.KindInvalid}) {
		t.Errorf("bad cursor: got %v, want INVALID", err)
	}
}

func TestRateLimitKnobAnswersWithRetryAfter(t *testing.T) {
	m := New()
	clock := simkit.NewFakeClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	m.clock = clock
	configure(t, m, map[string]any{"rate_limit": 2.0, "burst": 3})
	req := &sdk.FetchProductsRequest{IDs: []string{"100001"}}
	for i := range 3 {
		if _, err := m.FetchProducts(context.Background(), req); err != nil {
			t.Fatalf("call %d within burst: %v", i, err)
		}
	}
	_, err := m.FetchProducts(context.Background(), req)
	e, ok := sdk.AsError(err)
	if !ok || e.Kind != sdk.KindRateLimited || e.Code != "SANDBOX_429" {
		t.Fatalf("fourth call: got %v, want RATE_LIMITED SANDBOX_429", err)
	}
	if e.RetryAfter != 500*time.Millisecond {
		t.Errorf("retry after %v, want 500ms at 2 calls/s", e.RetryAfter)
	}
	clock.Advance(e.RetryAfter)
	resp, err := m.FetchProducts(context.Background(), req)
	if err != nil {
		t.Fatalf("after waiting retry-after: %v", err)
	}
	if resp.Quota == nil || resp.Quota.Limit != 3 || resp.Quota.Remaining != 0 {
		t.Errorf("quota %+v, want remaining 0 of 3", resp.Quota)
	}
	// With nothing left, Reset is when the next token is there: 500ms at
	// 2 calls/s.
	if want := clock.Now().Add(500 * time.Millisecond); !resp.Quota.Reset.Equal(want) {
		t.Errorf("quota reset %v, want the next token at %v", resp.Quota.Reset, want)
	}
}

func TestErrorRateIsReproducible(t *testing.T) {
	run := func() (fails int, pattern string) {
		m := New()
		configure(t, m, map[string]any{"error_rate": 0.25, "seed": 42})
		for range 400 {
			_, err := m.FetchProducts(context.Background(), &sdk.FetchProductsRequest{IDs: []string{"100001"}})
			if err != nil {
				if !errors.Is(err, &sdk.Error{Kind: sdk.KindUnavailable, Code: "SANDBOX_503"}) {
					t.Fatalf("unexpected error %v", err)
				}
				fails++
				pattern += "x"
			} else {
				pattern += "."
			}
		}
		return fails, pattern
	}
	f1, p1 := run()
	f2, p2 := run()
	if p1 != p2 {
		t.Error("the same seed gave different failure patterns")
	}
	if f1 != f2 || f1 < 70 || f1 > 130 {
		t.Errorf("%d of 400 calls failed at rate 0.25", f1)
	}
}

func TestCrashAfterExitsOnTheNthCall(t *testing.T) {
	m := New()
	exited := 0
	m.exit = func(code int) { exited = code }
	configure(t, m, map[string]any{"crash_after": 3})
	for i := 1; i <= 3; i++ {
		_, _ = m.FetchProducts(context.Background(), &sdk.FetchProductsRequest{IDs: []string{"100001"}})
		if want := map[bool]int{true: 3, false: 0}[i == 3]; exited != want {
			t.Fatalf("after call %d exit code %d, want %d", i, exited, want)
		}
	}
}

func TestRejectCredentialsRefusesEveryCallAsAuth(t *testing.T) {
	m := New()
	configure(t, m, map[string]any{"reject_credentials": true})
	_, err := m.FetchProducts(context.Background(), &sdk.FetchProductsRequest{IDs: []string{"100001"}})
	if !errors.Is(err, &sdk.Error{Kind: sdk.KindAuth, Code: codeBadSignature}) || !strings.Contains(err.Error(), "check reject_credentials") {
		t.Fatalf("got %v, want AUTH naming the setting to check", err)
	}
	configure(t, m, map[string]any{"reject_credentials": false})
	if _, err := m.FetchProducts(context.Background(), &sdk.FetchProductsRequest{IDs: []string{"100001"}}); err != nil {
		t.Fatalf("after the fix: %v", err)
	}
}

func TestLatencyHonoursContext(t *testing.T) {
	m := New()
	configure(t, m, map[string]any{"latency": "1h"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.FetchProducts(ctx, &sdk.FetchProductsRequest{IDs: []string{"100001"}}); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestStoreWrites(t *testing.T) {
	m := New()
	configure(t, m, nil)
	ctx := context.Background()
	src, _ := m.catalog.Product("100001")
	bad := *src
	bad.Variants = nil
	up, err := m.UpsertProducts(ctx, &sdk.UpsertProductsRequest{Items: []sdk.UpsertItem{
		{IdempotencyKey: "k1", Product: *src},
		{IdempotencyKey: "k2", Product: bad},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if up.Results[0].Err != nil || up.Results[0].RemoteID == "" {
		t.Fatalf("good item: %+v", up.Results[0])
	}
	if up.Results[1].Err == nil || up.Results[1].Err.Kind != sdk.KindInvalid {
		t.Fatalf("bad item should fail alone as INVALID: %+v", up.Results[1])
	}
	remote := up.Results[0].RemoteID
	// Status and compare-at prices are kept; no status keeps the stored one.
	draft := *src
	draft.Status = sdk.StatusDraft
	draft.Variants = append([]sdk.Variant(nil), src.Variants...)
	was := sdk.Money{Amount: src.Variants[0].Price.Amount + 500, Currency: src.Variants[0].Price.Currency}
	draft.Variants[0].CompareAt = &was
	if r, _ := m.UpsertProducts(ctx, &sdk.UpsertProductsRequest{Items: []sdk.UpsertItem{{RemoteID: remote, Product: draft}}}); r.Results[0].Err != nil {
		t.Fatal(r.Results[0].Err)
	}
	if r, _ := m.GetRemoteProducts(ctx, &sdk.GetRemoteProductsRequest{RemoteIDs: []string{remote}}); r.Results[0].Product.Status != sdk.StatusDraft ||
		r.Results[0].Product.Variants[0].CompareAt == nil || *r.Results[0].Product.Variants[0].CompareAt != was {
		t.Errorf("status and compare-at read back: %+v", r.Results[0].Product)
	}
	again, _ := m.UpsertProducts(ctx, &sdk.UpsertProductsRequest{Items: []sdk.UpsertItem{{IdempotencyKey: "k1", Product: *src}}})
	if again.Results[0].RemoteID != remote {
		t.Errorf("retried create under the same key made %s, want %s", again.Results[0].RemoteID, remote)
	}
	sku := src.Variants[0].SKU
	inv, _ := m.SetInventory(ctx, &sdk.SetInventoryRequest{Items: []sdk.InventoryItem{
		{RemoteID: remote, SKU: sku, Stock: 7},
		{RemoteID: remote, SKU: "nope", Stock: 1},
		{RemoteID: "r-404", SKU: sku, Stock: 1},
		{RemoteID: remote, SKU: sku, Stock: -1},
	}})
	wantCodes := []string{"", "SKU_NOT_FOUND", "REMOTE_NOT_FOUND", "INVALID_STOCK"}
	for i, r := range inv.Results {
		code := ""
		if r.Err != nil {
			code = r.Err.Code
		}
		if code != wantCodes[i] {
			t.Errorf("inventory item %d: code %q, want %q", i, code, wantCodes[i])
		}
	}
	if _, err := m.SetPrices(ctx, &sdk.SetPricesRequest{Items: []sdk.PriceItem{{RemoteID: remote, SKU: sku, Price: sdk.Money{Amount: 4200, Currency: "USD"}}}}); err != nil {
		t.Fatal(err)
	}
	got, _ := m.GetRemoteProducts(ctx, &sdk.GetRemoteProductsRequest{RemoteIDs: []string{remote, "r-404"}})
	v := got.Results[0].Product.Variants[0]
	if v.Stock != 7 || v.Price != (sdk.Money{Amount: 4200, Currency: "USD"}) {
		t.Errorf("remote variant after writes: %+v", v)
	}
	if got.Results[1].Err == nil || got.Results[1].Err.Kind != sdk.KindNotFound {
		t.Errorf("unknown remote id: %+v", got.Results[1])
	}
	if st := got.Results[0].Product.Status; st != sdk.StatusDraft {
		t.Errorf("a write without a status changed the stored one to %q", st)
	}
}

func TestResolveURLs(t *testing.T) {
	m := New()
	resp, err := m.ResolveURLs(context.Background(), &sdk.ResolveURLsRequest{URLs: []string{
		"https://item.sandbox.marketsync.invalid/item/100042.html",
		"https://m.sandbox.marketsync.invalid/item.html?id=100043&from=share",
		"https://item.taobao.com/item.htm?id=1",
		"https://item.sandbox.marketsync.invalid/item/abc.html",
		"://",
	}})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"100042", "100043", "", "", ""} {
		r := resp.Results[i]
		if r.ID != want || (want == "") != (r.Err != nil) {
			t.Errorf("%s: id %q err %v, want id %q", r.URL, r.ID, r.Err, want)
		}
	}
}

func TestBanWindows(t *testing.T) {
	k := knobs{banEvery: 10 * time.Second, banFor: 2 * time.Second}
	for elapsed, want := range map[time.Duration]time.Duration{
		0:                        0, // no ban before the first period ends
		9 * time.Second:          0,
		10 * time.Second:         2 * time.Second,
		11500 * time.Millisecond: 500 * time.Millisecond,
		12 * time.Second:         0,
		21 * time.Second:         time.Second,
	} {
		if got := k.banLeft(elapsed); got != want {
			t.Errorf("at %v: ban left %v, want %v", elapsed, got, want)
		}
	}
	m := New()
	clock := simkit.NewFakeClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	m.clock = clock
	configure(t, m, map[string]any{"ban_every": "10s", "ban_for": "3s"})
	clock.Advance(11 * time.Second)
	_, err := m.FetchProducts(context.Background(), &sdk.FetchProductsRequest{IDs: []string{"100001"}})
	e, ok := sdk.AsError(err)
	if !ok || e.Kind != sdk.KindRateLimited || e.RetryAfter != 2*time.Second || e.Message != "This ban will last for 2 more seconds" {
		t.Errorf("during a ban: %v", err)
	}
}

func TestMalformedRateBreaksProducts(t *testing.T) {
	m := New()
	configure(t, m, map[string]any{"malformed_rate": 1.0})
	resp, err := m.FetchProducts(context.Background(), &sdk.FetchProductsRequest{IDs: []string{"100001", "100002", "100003"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"stock", "currency", "sku"} {
		if verr := resp.Results[i].Product.Validate(); verr == nil || !strings.Contains(verr.Error(), want) {
			t.Errorf("product %d: %v, want a broken %s", i, verr, want)
		}
	}
}

func TestHangAfterNeverAnswers(t *testing.T) {
	m := New()
	configure(t, m, map[string]any{"hang_after": 2})
	req := &sdk.FetchProductsRequest{IDs: []string{"100001"}}
	if _, err := m.FetchProducts(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { _, err := m.FetchProducts(ctx, req); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("a hung call answered: %v", err)
	default:
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("hung call after the caller gave up: %v", err)
	}
}
