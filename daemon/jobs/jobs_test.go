package jobs_test

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/daemon/catalog"
	"github.com/marketsync/marketsync/daemon/jobs"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
	"github.com/marketsync/marketsync/sdk/model"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

func newStore(t testing.TB, db *store.DB) *jobs.Store {
	t.Helper()
	s, err := jobs.New(db)
	if err != nil {
		t.Fatalf("jobs.New: %v", err)
	}
	return s
}

// ids returns n item ids: "p0", "p1", …
func ids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("p%d", i)
	}
	return out
}

// create persists a collect job on platform "sandbox", created at t0
// plus minutes, with n items.
func create(t testing.TB, s *jobs.Store, minutes, n int) *job.Job {
	t.Helper()
	created := t0.Add(time.Duration(minutes) * time.Minute)
	j := &job.Job{
		Id:        job.NewID(created),
		Kind:      job.Kind_KIND_COLLECT,
		Platform:  "sandbox",
		CreatedAt: timestamppb.New(created),
		UpdatedAt: timestamppb.New(created),
	}
	if err := s.Create(j, ids(n)); err != nil {
		t.Fatalf("Create: %v", err)
	}
	return j
}

func item(index int32, state job.ItemState) *job.Item {
	return &job.Item{Index: index, Id: fmt.Sprintf("p%d", index), State: state, Attempts: 1}
}

func product(id string) *model.Product {
	return &model.Product{Id: id, Source: "sandbox", Title: map[string]string{"en": "Product " + id}}
}

// indexes returns the indexes of items.
func indexes(items []*job.Item) []int32 {
	var out []int32
	for _, it := range items {
		out = append(out, it.Index)
	}
	return out
}

func pending(t testing.TB, s *jobs.Store, id string) []int32 {
	t.Helper()
	items, err := s.Pending(id)
	if err != nil {
		t.Fatalf("Pending: %v", err)
	}
	return indexes(items)
}

func counters(j *job.Job) [3]int32 { return [3]int32{j.Total, j.Succeeded, j.Failed} }

func stored(t testing.TB, s *jobs.Store, id string) *job.Job {
	t.Helper()
	j, err := s.Get(id)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return j
}

func catalogCount(t testing.TB, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.View(func(txn *store.Txn) (err error) {
		n, err = catalog.Count(txn, "sandbox")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCreate(t *testing.T) {
	for name, o := range storetest.Modes(t) {
		t.Run(name, func(t *testing.T) {
			s := newStore(t, storetest.Open(t, o))
			j := create(t, s, 0, 5)
			if got := counters(j); got != [3]int32{5, 0, 0} {
				t.Fatalf("counters on j = %v, want [5 0 0]", got)
			}
			got := stored(t, s, j.Id)
			if !proto.Equal(got, j) {
				t.Fatalf("Get = %v, want %v", got, j)
			}
			items, err := s.Items(j.Id, jobs.ItemFilter{})
			if err != nil {
				t.Fatal(err)
			}
			for i, it := range items {
				if it.Index != int32(i) || it.Id != fmt.Sprintf("p%d", i) || it.State != job.ItemState_ITEM_PENDING {
					t.Errorf("item %d = %v", i, it)
				}
			}
			if len(items) != 5 {
				t.Fatalf("%d items, want 5", len(items))
			}
		})
	}
}

// TestCreateLarge creates a job with more items than one transaction holds.
func TestCreateLarge(t *testing.T) {
	for name, o := range storetest.Modes(t) {
		t.Run(name, func(t *testing.T) {
			s := newStore(t, storetest.Open(t, o))
			j := create(t, s, 0, 10_000)
			got := pending(t, s, j.Id)
			if len(got) != 10_000 || got[0] != 0 || got[9_999] != 9_999 || !slices.IsSorted(got) {
				t.Fatalf("%d pending items, want 0…9999 in order", len(got))
			}
		})
	}
}

func TestCreateRejects(t *testing.T) {
	s := newStore(t, storetest.Open(t, store.Options{InMemory: true}))
	existing := create(t, s, 0, 1)
	for name, j := range map[string]*job.Job{
		"existing id":    {Id: existing.Id, Platform: "sandbox"},
		"no id":          {Platform: "sandbox"},
		"id with slash":  {Id: "a/b", Platform: "sandbox"},
		"nil job record": nil,
	} {
		t.Run(name, func(t *testing.T) {
			if err := s.Create(j, ids(2)); err == nil {
				t.Fatal("Create succeeded, want an error")
			}
		})
	}
	if got := pending(t, s, existing.Id); !slices.Equal(got, []int32{0}) {
		t.Fatalf("pending items of the existing job = %v, want [0]", got)
	}
}

func TestCommit(t *testing.T) {
	db := storetest.Open(t, store.Options{InMemory: true})
	s := newStore(t, db)
	j := create(t, s, 0, 5)
	first := []*job.Item{item(0, job.ItemState_ITEM_SUCCEEDED), item(1, job.ItemState_ITEM_SUCCEEDED), item(2, job.ItemState_ITEM_FAILED)}
	firstProducts := []*model.Product{product("p0"), product("p1")}

	for _, step := range []struct {
		name         string
		items        []*job.Item
		products     []*model.Product
		wantCounters [3]int32
		wantPending  []int32
		wantProducts int
	}{{
		name:         "two succeed, one fails",
		items:        first,
		products:     firstProducts,
		wantCounters: [3]int32{5, 2, 1},
		wantPending:  []int32{3, 4},
		wantProducts: 2,
	}, {
		name:         "the same batch again counts nothing twice",
		items:        first,
		products:     firstProducts,
		wantCounters: [3]int32{5, 2, 1},
		wantPending:  []int32{3, 4},
		wantProducts: 2,
	}, {
		name:         "a retry still pending",
		items:        []*job.Item{item(3, job.ItemState_ITEM_PENDING)},
		wantCounters: [3]int32{5, 2, 1},
		wantPending:  []int32{3, 4},
		wantProducts: 2,
	}, {
		name:         "a failed item succeeds on a later run",
		items:        []*job.Item{item(2, job.ItemState_ITEM_SUCCEEDED), item(3, job.ItemState_ITEM_SUCCEEDED), item(4, job.ItemState_ITEM_FAILED)},
		products:     []*model.Product{product("p2"), product("p3")},
		wantCounters: [3]int32{5, 4, 1},
		wantPending:  nil,
		wantProducts: 4,
	}} {
		j.Calls++
		if err := s.Commit(j, step.items, step.products); err != nil {
			t.Fatalf("%s: Commit: %v", step.name, err)
		}
		got := stored(t, s, j.Id)
		if counters(got) != step.wantCounters || counters(j) != step.wantCounters {
			t.Errorf("%s: counters stored %v, on j %v; want %v", step.name, counters(got), counters(j), step.wantCounters)
		}
		if got.Calls != j.Calls {
			t.Errorf("%s: calls = %d, want %d", step.name, got.Calls, j.Calls)
		}
		if p := pending(t, s, j.Id); !slices.Equal(p, step.wantPending) {
			t.Errorf("%s: pending %v, want %v", step.name, p, step.wantPending)
		}
		if n := catalogCount(t, db); n != step.wantProducts {
			t.Errorf("%s: %d products in the catalogue, want %d", step.name, n, step.wantProducts)
		}
	}

	var e *catalog.Entry
	if err := db.View(func(txn *store.Txn) (err error) {
		e, err = catalog.Get(txn, "sandbox", "p0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !e.CollectedAt.Equal(j.UpdatedAt.AsTime()) {
		t.Errorf("product collected at %v, want the job's update time %v", e.CollectedAt, j.UpdatedAt.AsTime())
	}
}

// TestCommitIsAtomic: a Commit that fails part-way stores nothing.
func TestCommitIsAtomic(t *testing.T) {
	for name, tc := range map[string]struct {
		items    []*job.Item
		products []*model.Product
		wantErr  string
	}{
		"a product cannot be written": {
			wantErr:  "product without an id",
			items:    []*job.Item{item(0, job.ItemState_ITEM_SUCCEEDED), item(1, job.ItemState_ITEM_SUCCEEDED)},
			products: []*model.Product{product("p0"), {Title: map[string]string{"en": "no id"}}},
		},
		"an item does not exist": {
			wantErr:  "has no item 7",
			items:    []*job.Item{item(0, job.ItemState_ITEM_SUCCEEDED), item(7, job.ItemState_ITEM_SUCCEEDED)},
			products: []*model.Product{product("p0")},
		},
		"an item has another id": {
			wantErr:  `item 1 is "p1", not "other"`,
			items:    []*job.Item{item(0, job.ItemState_ITEM_SUCCEEDED), {Index: 1, Id: "other", State: job.ItemState_ITEM_FAILED}},
			products: []*model.Product{product("p0")},
		},
	} {
		t.Run(name, func(t *testing.T) {
			db := storetest.Open(t, store.Options{InMemory: true})
			s := newStore(t, db)
			j := create(t, s, 0, 3)
			before := proto.Clone(j).(*job.Job)
			j.State = job.State_STATE_RUNNING

			if err := s.Commit(j, tc.items, tc.products); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Commit = %v, want an error with %q", err, tc.wantErr)
			}
			if got := pending(t, s, j.Id); !slices.Equal(got, []int32{0, 1, 2}) {
				t.Errorf("pending after a failed Commit = %v, want [0 1 2]", got)
			}
			if got := stored(t, s, j.Id); !proto.Equal(got, before) {
				t.Errorf("job after a failed Commit = %v, want %v", got, before)
			}
			if counters(j) != counters(before) {
				t.Errorf("counters on j = %v, want %v", counters(j), counters(before))
			}
			if n := catalogCount(t, db); n != 0 {
				t.Errorf("%d products after a failed Commit, want 0", n)
			}
		})
	}
}

// TestCommitTooBig: a batch over the transaction limit fails whole. Large
// products count as pointers on disk but whole in memory.
func TestCommitTooBig(t *testing.T) {
	for name, tc := range map[string]struct {
		opts    store.Options
		wantErr error
	}{
		"memory": {opts: store.Options{InMemory: true}, wantErr: store.ErrTxnTooBig},
		"disk":   {opts: store.Options{Dir: t.TempDir(), GCInterval: -1}},
	} {
		t.Run(name, func(t *testing.T) {
			db := storetest.Open(t, tc.opts)
			s := newStore(t, db)
			j := create(t, s, 0, 50)
			var items []*job.Item
			var products []*model.Product
			for i := range int32(50) {
				it := item(i, job.ItemState_ITEM_SUCCEEDED)
				p := product(it.Id)
				p.Description = map[string]string{"en": strings.Repeat("x", 60<<10)}
				items, products = append(items, it), append(products, p)
			}
			err := s.Commit(j, items, products)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Commit of 50 products of 60 KB = %v, want %v", err, tc.wantErr)
			}
			wantPending, wantProducts := 0, 50
			if err != nil {
				wantPending, wantProducts = 50, 0
			}
			if got := len(pending(t, s, j.Id)); got != wantPending {
				t.Errorf("%d items pending, want %d", got, wantPending)
			}
			if got := catalogCount(t, db); got != wantProducts {
				t.Errorf("%d products stored, want %d", got, wantProducts)
			}
		})
	}
}

func TestSave(t *testing.T) {
	s := newStore(t, storetest.Open(t, store.Options{InMemory: true}))
	j := create(t, s, 0, 3)
	if err := s.Commit(j, []*job.Item{item(0, job.ItemState_ITEM_SUCCEEDED)}, nil); err != nil {
		t.Fatal(err)
	}
	j.State = job.State_STATE_CANCELLED
	j.Error = "cancelled by the operator"
	j.Succeeded, j.Failed = 3, 3 // not the store's to take
	if err := s.Save(j); err != nil {
		t.Fatal(err)
	}
	got := stored(t, s, j.Id)
	if got.State != job.State_STATE_CANCELLED || got.Error != j.Error {
		t.Errorf("saved state %v %q", got.State, got.Error)
	}
	if counters(got) != [3]int32{3, 1, 0} || counters(j) != [3]int32{3, 1, 0} {
		t.Errorf("counters stored %v, on j %v; want the items' [3 1 0]", counters(got), counters(j))
	}

	if err := s.Save(&job.Job{Id: job.NewID(t0)}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Save of an unknown job = %v, want ErrNotFound", err)
	}
}

func TestNotFound(t *testing.T) {
	s := newStore(t, storetest.Open(t, store.Options{InMemory: true}))
	unknown := job.NewID(t0)
	for name, call := range map[string]func() error{
		"Get":     func() error { _, err := s.Get(unknown); return err },
		"Items":   func() error { _, err := s.Items(unknown, jobs.ItemFilter{}); return err },
		"Pending": func() error { _, err := s.Pending(unknown); return err },
		"Commit":  func() error { return s.Commit(&job.Job{Id: unknown}, nil, nil) },
	} {
		t.Run(name, func(t *testing.T) {
			if err := call(); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("%s of an unknown job = %v, want ErrNotFound", name, err)
			}
		})
	}
}

func TestList(t *testing.T) {
	s := newStore(t, storetest.Open(t, store.Options{InMemory: true}))
	// Six jobs, a minute apart: j[5] is the newest.
	var all []*job.Job
	for i, st := range []job.State{
		job.State_STATE_SUCCEEDED, job.State_STATE_RUNNING, job.State_STATE_FAILED,
		job.State_STATE_RUNNING, job.State_STATE_QUEUED, job.State_STATE_RUNNING,
	} {
		j := create(t, s, i, 1)
		j.State = st
		if i%2 == 1 {
			j.Platform = "other"
		}
		if err := s.Save(j); err != nil {
			t.Fatal(err)
		}
		all = append(all, j)
	}
	id := func(i int) string { return all[i].Id }
	running := job.State_STATE_RUNNING

	for name, tc := range map[string]struct {
		f        jobs.Filter
		want     []int
		wantNext int // index of the cursor job, -1 for none
	}{
		"all, newest first":    {want: []int{5, 4, 3, 2, 1, 0}, wantNext: -1},
		"by state":             {f: jobs.Filter{State: &running}, want: []int{5, 3, 1}, wantNext: -1},
		"by platform":          {f: jobs.Filter{Platform: "sandbox"}, want: []int{4, 2, 0}, wantNext: -1},
		"by state, platform":   {f: jobs.Filter{State: &running, Platform: "other"}, want: []int{5, 3, 1}, wantNext: -1},
		"first page":           {f: jobs.Filter{Limit: 2}, want: []int{5, 4}, wantNext: 4},
		"next page":            {f: jobs.Filter{Limit: 2, Before: id(4)}, want: []int{3, 2}, wantNext: 2},
		"last page, full":      {f: jobs.Filter{Limit: 2, Before: id(2)}, want: []int{1, 0}, wantNext: -1},
		"filtered page":        {f: jobs.Filter{State: &running, Limit: 1}, want: []int{5}, wantNext: 5},
		"filtered next page":   {f: jobs.Filter{State: &running, Limit: 2, Before: id(5)}, want: []int{3, 1}, wantNext: -1},
		"before the oldest":    {f: jobs.Filter{Before: id(0)}, want: nil, wantNext: -1},
		"no match":             {f: jobs.Filter{Platform: "none"}, want: nil, wantNext: -1},
		"before an unknown id": {f: jobs.Filter{Before: job.NewID(t0.Add(150 * time.Second)), Limit: 10}, want: []int{2, 1, 0}, wantNext: -1},
	} {
		t.Run(name, func(t *testing.T) {
			got, next, err := s.List(tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var gotIdx []int
			for _, j := range got {
				gotIdx = append(gotIdx, slices.IndexFunc(all, func(a *job.Job) bool { return a.Id == j.Id }))
			}
			wantNext := ""
			if tc.wantNext >= 0 {
				wantNext = id(tc.wantNext)
			}
			if !slices.Equal(gotIdx, tc.want) || next != wantNext {
				t.Fatalf("List = jobs %v next %q, want %v next %q", gotIdx, next, tc.want, wantNext)
			}
		})
	}
}

func TestItems(t *testing.T) {
	s := newStore(t, storetest.Open(t, store.Options{InMemory: true}))
	j := create(t, s, 0, 6)
	if err := s.Commit(j, []*job.Item{
		item(1, job.ItemState_ITEM_SUCCEEDED), item(2, job.ItemState_ITEM_FAILED), item(4, job.ItemState_ITEM_SUCCEEDED),
	}, nil); err != nil {
		t.Fatal(err)
	}
	ok, pend := job.ItemState_ITEM_SUCCEEDED, job.ItemState_ITEM_PENDING
	for name, tc := range map[string]struct {
		f    jobs.ItemFilter
		want []int32
	}{
		"all":                   {want: []int32{0, 1, 2, 3, 4, 5}},
		"by state":              {f: jobs.ItemFilter{State: &ok}, want: []int32{1, 4}},
		"from an index":         {f: jobs.ItemFilter{After: 3}, want: []int32{3, 4, 5}},
		"limit":                 {f: jobs.ItemFilter{Limit: 2}, want: []int32{0, 1}},
		"state and limit":       {f: jobs.ItemFilter{State: &pend, Limit: 2}, want: []int32{0, 3}},
		"state, start, limit":   {f: jobs.ItemFilter{State: &pend, After: 1, Limit: 2}, want: []int32{3, 5}},
		"start past the end":    {f: jobs.ItemFilter{After: 6}, want: nil},
		"next page of the last": {f: jobs.ItemFilter{After: 5, Limit: 3}, want: []int32{5}},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := s.Items(j.Id, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(indexes(got), tc.want) {
				t.Fatalf("Items = %v, want %v", indexes(got), tc.want)
			}
		})
	}
}

// TestReopen: what a restart finds on disk.
func TestReopen(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(store.Options{Dir: dir, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	s := newStore(t, db)
	done := create(t, s, 0, 2)
	done.State = job.State_STATE_SUCCEEDED
	if err := s.Commit(done, []*job.Item{item(0, job.ItemState_ITEM_SUCCEEDED), item(1, job.ItemState_ITEM_SUCCEEDED)},
		[]*model.Product{product("p0"), product("p1")}); err != nil {
		t.Fatal(err)
	}
	running := create(t, s, 1, 3)
	running.State = job.State_STATE_RUNNING
	if err := s.Commit(running, []*job.Item{item(1, job.ItemState_ITEM_SUCCEEDED)}, []*model.Product{product("p1")}); err != nil {
		t.Fatal(err)
	}
	queued := create(t, s, 2, 1)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = storetest.Open(t, store.Options{Dir: dir, GCInterval: -1})
	s = newStore(t, db)
	unfinished, err := s.Unfinished()
	if err != nil {
		t.Fatal(err)
	}
	if len(unfinished) != 2 || !proto.Equal(unfinished[0], running) || !proto.Equal(unfinished[1], queued) {
		t.Fatalf("Unfinished after reopen = %v, want the running then the queued job", unfinished)
	}
	if got := pending(t, s, running.Id); !slices.Equal(got, []int32{0, 2}) {
		t.Errorf("pending items of the running job = %v, want [0 2]", got)
	}
	if got := stored(t, s, done.Id); !proto.Equal(got, done) {
		t.Errorf("finished job after reopen = %v, want %v", got, done)
	}
	if n := catalogCount(t, db); n != 2 {
		t.Errorf("%d products after reopen, want 2", n)
	}
	counts, err := s.CountByState()
	if err != nil {
		t.Fatal(err)
	}
	want := map[job.State]int{job.State_STATE_SUCCEEDED: 1, job.State_STATE_RUNNING: 1, job.State_STATE_QUEUED: 1}
	if !maps.Equal(counts, want) {
		t.Errorf("counts by state after reopen = %v, want %v", counts, want)
	}
}

func BenchmarkCommit50(b *testing.B) {
	for name, o := range storetest.Modes(b) {
		b.Run(name, func(b *testing.B) {
			s := newStore(b, storetest.Open(b, o))
			j := create(b, s, 0, 50)
			items := make([]*job.Item, 50)
			products := make([]*model.Product, 50)
			for i := range items {
				items[i] = item(int32(i), job.ItemState_ITEM_SUCCEEDED)
				products[i] = benchProduct(items[i].Id)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Commit(j, items, products); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCreate1000(b *testing.B) {
	for name, o := range storetest.Modes(b) {
		b.Run(name, func(b *testing.B) {
			s := newStore(b, storetest.Open(b, o))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				create(b, s, n, 1_000)
				n++
			}
		})
	}
}

// benchProduct is a product of about 3 KB, as a marketplace listing with
// two languages, images and variants.
func benchProduct(id string) *model.Product {
	p := product(id)
	p.Title["zh-CN"] = "女士夏季新款纯棉短袖T恤 宽松百搭 " + id
	p.Description = map[string]string{
		"zh-CN": strings.Repeat("纯棉面料，透气舒适。", 60),
		"en":    strings.Repeat("Soft, breathable cotton. ", 40),
	}
	for i := range 8 {
		p.Images = append(p.Images, &model.Image{Url: fmt.Sprintf("https://img.example/%s/%d.jpg", id, i)})
		p.Variants = append(p.Variants, &model.Variant{
			Sku:     fmt.Sprintf("%s-%d", id, i),
			Options: []*model.Option{{Name: "size", Value: "M"}, {Name: "color", Value: "red"}},
			Price:   &model.Money{Amount: 4990, Currency: "CNY"},
			Stock:   12,
		})
	}
	return p
}

// TestResolveURLs: an entry that is a URL makes an item with that URL and
// no id; the checkpoint of its resolution sets the id once, in the same
// transaction as the record, and a URL that names no product fails alone.
func TestResolveURLs(t *testing.T) {
	s := newStore(t, storetest.Open(t, store.Options{InMemory: true, GCInterval: -1}))
	j := &job.Job{Id: job.NewID(t0), Kind: job.Kind_KIND_COLLECT, Platform: "sandbox", Step: job.Step_STEP_RESOLVING, ToResolve: 2}
	entries := []string{"p0", "https://item.example/p1.html", "https://example.com/nothing"}
	if err := s.Create(j, entries); err != nil {
		t.Fatal(err)
	}
	items, err := s.Pending(j.Id)
	if err != nil {
		t.Fatal(err)
	}
	if items[0].Id != "p0" || items[0].Url != "" || items[1].Id != "" || items[1].Url != entries[1] || items[2].Url != entries[2] {
		t.Fatalf("items %v", items)
	}
	items[1].Id = "p1"
	items[2].State, items[2].Error = job.ItemState_ITEM_FAILED, model.Invalid("NOT_A_PRODUCT_URL", "no product")
	j.Resolved = 2
	if err := s.Commit(j, items[1:], nil); err != nil {
		t.Fatal(err)
	}
	got := stored(t, s, j.Id)
	if counters(got) != [3]int32{3, 0, 1} || got.Resolved != 2 || got.ToResolve != 2 {
		t.Fatalf("after resolving: %v", got)
	}
	if p := pending(t, s, j.Id); !slices.Equal(p, []int32{0, 1}) {
		t.Fatalf("pending %v", p)
	}
	// Once resolved, the id is the item's: another is refused.
	items[1].Id = "p9"
	if err := s.Commit(j, items[1:2], nil); err == nil {
		t.Fatal("Commit changed a resolved item's id")
	}
	// A URL stays the item's URL.
	other := &job.Item{Index: 0, Id: "p0", Url: "https://item.example/p0.html"}
	if err := s.Commit(j, []*job.Item{other}, nil); err == nil {
		t.Fatal("Commit gave an id item a URL")
	}
}

// TestAddListed adds two pages to a listing job: each page's items follow
// the ones before, with the cursor in the record, and survive a reopen.
func TestAddListed(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(store.Options{Dir: dir, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	s := newStore(t, db)
	j := create(t, s, 0, 0)
	j.Step, j.Scope, j.State = job.Step_STEP_LISTING, "shop:7", job.State_STATE_RUNNING
	j.Cursor, j.ListedPages = "c1", 1
	if err := s.AddListed(j, []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	j.Cursor, j.ListedPages = "", 2
	j.Step = job.Step_STEP_COLLECTING
	if err := s.AddListed(j, []string{"c"}); err != nil {
		t.Fatal(err)
	}
	if j.GetTotal() != 3 {
		t.Errorf("total %d after two pages, want 3", j.GetTotal())
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = storetest.Open(t, store.Options{Dir: dir, GCInterval: -1})
	s = newStore(t, db)
	if got := stored(t, s, j.Id); !proto.Equal(got, j) {
		t.Errorf("record after reopen = %v, want %v", got, j)
	}
	items, err := s.Items(j.Id, jobs.ItemFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, fmt.Sprintf("%d:%s", it.GetIndex(), it.GetId()))
	}
	if !slices.Equal(got, []string{"0:a", "1:b", "2:c"}) {
		t.Errorf("items %v", got)
	}
	if err := s.AddListed(&job.Job{Id: "nope"}, []string{"x"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AddListed to an unknown job: %v", err)
	}
}
