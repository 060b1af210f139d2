package catalog_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/daemon/catalog"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
	"github.com/marketsync/marketsync/sdk/model"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var collected = time.Date(2026, 11, 26, 8, 30, 0, 123456789, time.UTC)

// product returns a product with a description of several KB, so that it
// goes to the value log on disk.
func product(id string) *model.Product {
	desc := strings.Repeat("商品描述 description ", 200)
	return &model.Product{
		Id:          id,
		Source:      "sandbox",
		Title:       map[string]string{"zh-CN": "标题 " + id, "en": "Title " + id},
		Description: map[string]string{"zh-CN": desc},
		Images:      []*model.Image{{Url: "https://img.example/" + id + ".jpg"}},
		Variants: []*model.Variant{{
			Sku:   id + "-1",
			Price: &model.Money{Amount: 1999, Currency: "CNY"},
			Stock: 7,
		}},
		UpdatedAt: timestamppb.New(collected.Add(-time.Hour)),
	}
}

func put(t *testing.T, db *store.DB, platform string, ps ...*model.Product) {
	t.Helper()
	if err := db.Update(func(txn *store.Txn) error {
		for _, p := range ps {
			if err := catalog.Put(txn, platform, p, collected); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("Put: %v", err)
	}
}

func get(t *testing.T, db *store.DB, platform, id string) (*catalog.Entry, error) {
	t.Helper()
	var e *catalog.Entry
	err := db.View(func(txn *store.Txn) (err error) {
		e, err = catalog.Get(txn, platform, id)
		return err
	})
	return e, err
}

func count(t *testing.T, db *store.DB, platform string) int {
	t.Helper()
	var n int
	if err := db.View(func(txn *store.Txn) (err error) {
		n, err = catalog.Count(txn, platform)
		return err
	}); err != nil {
		t.Fatalf("Count: %v", err)
	}
	return n
}

func TestPutGet(t *testing.T) {
	for name, o := range storetest.Modes(t) {
		t.Run(name, func(t *testing.T) {
			db := storetest.Open(t, o)
			p := product("gid://shop/Product/1") // ids may contain "/"
			put(t, db, "sandbox", p)

			e, err := get(t, db, "sandbox", p.Id)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if e.Platform != "sandbox" || !e.CollectedAt.Equal(collected) || !proto.Equal(e.Product, p) {
				t.Fatalf("Get = %s %v %v, want what was put", e.Platform, e.CollectedAt, e.Product)
			}
			for platform, id := range map[string]string{"sandbox": "missing", "other": p.Id} {
				if _, err := get(t, db, platform, id); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("Get(%s, %s) = %v, want ErrNotFound", platform, id, err)
				}
			}
		})
	}
}

func TestPutTwiceKeepsOne(t *testing.T) {
	db := storetest.Open(t, store.Options{InMemory: true})
	first, second := product("1"), product("1")
	second.Title["en"] = "Renamed"
	put(t, db, "sandbox", first)
	put(t, db, "sandbox", second, second)
	if n := count(t, db, "sandbox"); n != 1 {
		t.Fatalf("Count = %d after putting one product three times, want 1", n)
	}
	e, err := get(t, db, "sandbox", "1")
	if err != nil || e.Product.Title["en"] != "Renamed" {
		t.Fatalf("Get = %v, %v; want the last put", e, err)
	}
}

func TestPutRejects(t *testing.T) {
	db := storetest.Open(t, store.Options{InMemory: true})
	for name, tc := range map[string]struct {
		platform    string
		product     *model.Product
		collectedAt time.Time
	}{
		"nil product":              {platform: "sandbox", collectedAt: collected},
		"product without id":       {platform: "sandbox", product: &model.Product{}, collectedAt: collected},
		"no platform":              {product: product("1"), collectedAt: collected},
		"platform with slash":      {platform: "a/b", product: product("1"), collectedAt: collected},
		"no collection time":       {platform: "sandbox", product: product("1")},
		"platform ending in slash": {platform: "sandbox/", product: product("1"), collectedAt: collected},
	} {
		t.Run(name, func(t *testing.T) {
			err := db.Update(func(txn *store.Txn) error {
				return catalog.Put(txn, tc.platform, tc.product, tc.collectedAt)
			})
			if err == nil {
				t.Fatal("Put succeeded, want an error")
			}
		})
	}
}

func TestListAndCount(t *testing.T) {
	db := storetest.Open(t, store.Options{InMemory: true})
	ids := []string{"a", "b", "c", "d", "e"}
	for _, id := range ids {
		put(t, db, "sandbox", product(id))
	}
	// Platforms whose names extend or prefix "sandbox" stay apart.
	put(t, db, "sandbox2", product("x"))
	put(t, db, "sand", product("y"))

	for name, tc := range map[string]struct {
		after    string
		limit    int
		want     []string
		wantNext string
	}{
		"all":                     {want: ids},
		"first page":              {limit: 2, want: []string{"a", "b"}, wantNext: "b"},
		"middle page":             {after: "b", limit: 2, want: []string{"c", "d"}, wantNext: "d"},
		"last page, short":        {after: "d", limit: 2, want: []string{"e"}},
		"last page, exactly full": {after: "c", limit: 2, want: []string{"d", "e"}},
		"after a missing id":      {after: "bb", limit: 1, want: []string{"c"}, wantNext: "c"},
		"after the end":           {after: "e", limit: 2, want: nil},
		"rest without a limit":    {after: "c", want: []string{"d", "e"}},
	} {
		t.Run(name, func(t *testing.T) {
			var entries []*catalog.Entry
			var next string
			if err := db.View(func(txn *store.Txn) (err error) {
				entries, next, err = catalog.List(txn, "sandbox", tc.after, tc.limit)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range entries {
				if e.Platform != "sandbox" || !e.CollectedAt.Equal(collected) {
					t.Errorf("entry %s: %s at %v", e.Product.Id, e.Platform, e.CollectedAt)
				}
				got = append(got, e.Product.Id)
			}
			if !slices.Equal(got, tc.want) || next != tc.wantNext {
				t.Fatalf("List = %q next %q, want %q next %q", got, next, tc.want, tc.wantNext)
			}
		})
	}

	t.Run("paging visits every product once", func(t *testing.T) {
		var got []string
		after := ""
		for page := 0; page < 10; page++ {
			var entries []*catalog.Entry
			if err := db.View(func(txn *store.Txn) (err error) {
				entries, after, err = catalog.List(txn, "sandbox", after, 2)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				got = append(got, e.Product.Id)
			}
			if after == "" {
				break
			}
		}
		if !slices.Equal(got, ids) {
			t.Fatalf("pages hold %q, want %q", got, ids)
		}
	})

	for platform, want := range map[string]int{"sandbox": 5, "sandbox2": 1, "sand": 1, "none": 0} {
		if n := count(t, db, platform); n != want {
			t.Errorf("Count(%s) = %d, want %d", platform, n, want)
		}
	}
}

func TestSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(store.Options{Dir: dir, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	var ps []*model.Product
	for i := range 100 {
		ps = append(ps, product(fmt.Sprintf("%03d", i)))
	}
	put(t, db, "sandbox", ps...)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = storetest.Open(t, store.Options{Dir: dir, GCInterval: -1})
	if n := count(t, db, "sandbox"); n != len(ps) {
		t.Fatalf("Count after reopen = %d, want %d", n, len(ps))
	}
	e, err := get(t, db, "sandbox", "042")
	if err != nil || !proto.Equal(e.Product, ps[42]) {
		t.Fatalf("Get after reopen = %v, %v", e, err)
	}
}
