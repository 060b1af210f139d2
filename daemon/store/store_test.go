package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
)

var (
	testNS = store.Register("test/")
	// nextNS is the namespace just past testNS: its keys must never show
	// in a scan of testNS.
	nextNS = store.Register("test0/")
	// Registered for TestRegister, which tries to take them again.
	_ = store.Register("reg-a/")
	_ = store.Register("reg-b/sub/")
	// registerRuns makes TestRegister's new prefixes new on every run.
	registerRuns atomic.Int32
)

func TestOpenValidatesOptions(t *testing.T) {
	for name, tc := range map[string]struct {
		opts    store.Options
		wantErr bool
	}{
		"in memory":               {opts: store.Options{InMemory: true}},
		"on disk":                 {opts: store.Options{Dir: t.TempDir()}},
		"neither":                 {opts: store.Options{}, wantErr: true},
		"both dir and in memory":  {opts: store.Options{Dir: t.TempDir(), InMemory: true}, wantErr: true},
		"in memory with interval": {opts: store.Options{InMemory: true, GCInterval: time.Millisecond}},
	} {
		t.Run(name, func(t *testing.T) {
			db, err := store.Open(tc.opts)
			if tc.wantErr {
				if err == nil {
					db.Close()
					t.Fatal("Open succeeded, want an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if err := db.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
		})
	}
}

func TestRegister(t *testing.T) {
	run := registerRuns.Add(1)
	for name, tc := range map[string]struct {
		prefix    string
		wantPanic bool
	}{
		"sibling with a common stem": {prefix: fmt.Sprintf("reg-a%d/", run)},
		"duplicate":                  {prefix: "reg-a/", wantPanic: true},
		"inside a registered one":    {prefix: "reg-a/x/", wantPanic: true},
		"around a registered one":    {prefix: "reg-b/", wantPanic: true},
		"no trailing slash":          {prefix: "reg-c", wantPanic: true},
		"empty":                      {prefix: "", wantPanic: true},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r := recover(); (r != nil) != tc.wantPanic {
					t.Fatalf("Register(%q) panic = %v, want panic %v", tc.prefix, r, tc.wantPanic)
				}
			}()
			ns := store.Register(tc.prefix)
			if ns.Prefix() != tc.prefix {
				t.Fatalf("Prefix() = %q, want %q", ns.Prefix(), tc.prefix)
			}
		})
	}
}

func TestZeroNamespacePanics(t *testing.T) {
	db := storetest.Open(t, store.Options{InMemory: true})
	defer func() {
		if recover() == nil {
			t.Fatal("Get with the zero Namespace did not panic")
		}
	}()
	_ = db.View(func(txn *store.Txn) error {
		_, err := txn.Get(store.Namespace{}, []byte("k"))
		return err
	})
}

func TestGetSetDelete(t *testing.T) {
	for name, o := range storetest.Modes(t) {
		t.Run(name, func(t *testing.T) {
			db := storetest.Open(t, o)
			key := []byte("k")
			if err := db.View(func(txn *store.Txn) error {
				_, err := txn.Get(testNS, key)
				return err
			}); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Get of a missing key: %v, want ErrNotFound", err)
			}
			if err := db.Update(func(txn *store.Txn) error { return txn.Set(testNS, key, []byte("v")) }); err != nil {
				t.Fatal(err)
			}
			var got []byte
			if err := db.View(func(txn *store.Txn) (err error) {
				got, err = txn.Get(testNS, key)
				return err
			}); err != nil || string(got) != "v" {
				t.Fatalf("Get = %q, %v; want v", got, err)
			}
			if err := db.View(func(txn *store.Txn) error { return txn.Set(testNS, key, nil) }); err == nil {
				t.Fatal("Set in a read-only transaction succeeded")
			}
			if err := db.Update(func(txn *store.Txn) error { return txn.Delete(testNS, key) }); err != nil {
				t.Fatal(err)
			}
			if err := db.View(func(txn *store.Txn) error {
				_, err := txn.Get(testNS, key)
				return err
			}); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Get after Delete: %v, want ErrNotFound", err)
			}
		})
	}
}

func TestScan(t *testing.T) {
	db := storetest.Open(t, store.Options{InMemory: true})
	// "a0" is the first key past the prefix "a/"; "\xff" tests the top of
	// the namespace.
	keys := []string{"a/1", "a/2", "a/3", "a0", "b/1", "\xff"}
	if err := db.Update(func(txn *store.Txn) error {
		for _, k := range keys {
			if err := txn.Set(testNS, []byte(k), []byte("v"+k)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(txn *store.Txn) error { return txn.Set(nextNS, []byte("x"), nil) }); err != nil {
		t.Fatal(err)
	}

	for name, tc := range map[string]struct {
		r    store.Range
		want []string
	}{
		"whole namespace":          {r: store.Range{}, want: keys},
		"prefix":                   {r: store.Range{Prefix: []byte("a/")}, want: []string{"a/1", "a/2", "a/3"}},
		"after a key":              {r: store.Range{Prefix: []byte("a/"), After: []byte("a/1")}, want: []string{"a/2", "a/3"}},
		"after a missing key":      {r: store.Range{Prefix: []byte("a/"), After: []byte("a/15")}, want: []string{"a/2", "a/3"}},
		"after the last key":       {r: store.Range{Prefix: []byte("a/"), After: []byte("a/3")}, want: nil},
		"after, below the prefix":  {r: store.Range{Prefix: []byte("b/"), After: []byte("a/9")}, want: []string{"b/1"}},
		"limit":                    {r: store.Range{Prefix: []byte("a/"), Limit: 2}, want: []string{"a/1", "a/2"}},
		"limit past the end":       {r: store.Range{Prefix: []byte("a/"), Limit: 5}, want: []string{"a/1", "a/2", "a/3"}},
		"reverse":                  {r: store.Range{Prefix: []byte("a/"), Reverse: true}, want: []string{"a/3", "a/2", "a/1"}},
		"reverse whole namespace":  {r: store.Range{Reverse: true}, want: []string{"\xff", "b/1", "a0", "a/3", "a/2", "a/1"}},
		"reverse after":            {r: store.Range{Prefix: []byte("a/"), After: []byte("a/3"), Reverse: true}, want: []string{"a/2", "a/1"}},
		"reverse after, above":     {r: store.Range{Prefix: []byte("a/"), After: []byte("z"), Reverse: true}, want: []string{"a/3", "a/2", "a/1"}},
		"reverse limit":            {r: store.Range{Prefix: []byte("a/"), Reverse: true, Limit: 1}, want: []string{"a/3"}},
		"reverse after the first":  {r: store.Range{Prefix: []byte("a/"), After: []byte("a/1"), Reverse: true}, want: nil},
		"keys only":                {r: store.Range{Prefix: []byte("b/"), KeysOnly: true}, want: []string{"b/1"}},
		"prefix with no keys":      {r: store.Range{Prefix: []byte("c/")}, want: nil},
		"reverse prefix, no keys":  {r: store.Range{Prefix: []byte("c/"), Reverse: true}, want: nil},
		"page through with cursor": {r: store.Range{Prefix: []byte("a/"), After: []byte("a/2"), Limit: 1}, want: []string{"a/3"}},
	} {
		t.Run(name, func(t *testing.T) {
			var got []string
			err := db.View(func(txn *store.Txn) error {
				return txn.Scan(testNS, tc.r, func(key, value []byte) error {
					switch {
					case tc.r.KeysOnly && value != nil:
						return fmt.Errorf("value %q with KeysOnly", value)
					case !tc.r.KeysOnly && string(value) != "v"+string(key):
						return fmt.Errorf("value of %q = %q", key, value)
					}
					got = append(got, string(key))
					return nil
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("keys = %q, want %q", got, tc.want)
			}
		})
	}

	t.Run("stop and errors", func(t *testing.T) {
		boom := errors.New("boom")
		for name, tc := range map[string]struct {
			ret     error
			wantErr error
		}{
			"StopScan ends without error": {ret: store.StopScan},
			"other errors are returned":   {ret: boom, wantErr: boom},
		} {
			t.Run(name, func(t *testing.T) {
				calls := 0
				err := db.View(func(txn *store.Txn) error {
					return txn.Scan(testNS, store.Range{}, func(_, _ []byte) error {
						calls++
						return tc.ret
					})
				})
				if !errors.Is(err, tc.wantErr) || calls != 1 {
					t.Fatalf("Scan = %v after %d calls, want %v after 1", err, calls, tc.wantErr)
				}
			})
		}
	})
}

func TestTxnTooBigAndBatch(t *testing.T) {
	for name, o := range storetest.Modes(t) {
		t.Run(name, func(t *testing.T) {
			db := storetest.Open(t, o)
			key := func(i int) []byte { return fmt.Appendf(nil, "big/%06d", i) }
			// Write until the transaction is full.
			n := 0
			err := db.Update(func(txn *store.Txn) error {
				for n = 0; ; n++ {
					if err := txn.Set(testNS, key(n), []byte("v")); err != nil {
						return err
					}
				}
			})
			if !errors.Is(err, store.ErrTxnTooBig) {
				t.Fatalf("Update of endless writes = %v after %d, want ErrTxnTooBig", err, n)
			}
			if got := countKeys(t, db, []byte("big/")); got != 0 {
				t.Fatalf("%d keys after a failed Update, want 0", got)
			}
			if err := db.Batch(func(b *store.Batch) error {
				for i := range 2 * n {
					if err := b.Set(testNS, key(i), []byte("v")); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatalf("Batch: %v", err)
			}
			if got := countKeys(t, db, []byte("big/")); got != 2*n {
				t.Fatalf("%d keys after Batch, want %d", got, 2*n)
			}
			if err := db.Batch(func(b *store.Batch) error { return b.Delete(testNS, key(0)) }); err != nil {
				t.Fatal(err)
			}
			if got := countKeys(t, db, []byte("big/")); got != 2*n-1 {
				t.Fatalf("%d keys after a batch Delete, want %d", got, 2*n-1)
			}
		})
	}
}

func countKeys(t testing.TB, db *store.DB, prefix []byte) int {
	t.Helper()
	n := 0
	if err := db.View(func(txn *store.Txn) error {
		return txn.Scan(testNS, store.Range{Prefix: prefix, KeysOnly: true}, func(_, _ []byte) error {
			n++
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	small, large := []byte("small"), bytes.Repeat([]byte("L"), 4<<10)
	if err := db.Update(func(txn *store.Txn) error {
		if err := txn.Set(testNS, []byte("small"), small); err != nil {
			return err
		}
		return txn.Set(testNS, []byte("large"), large)
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = storetest.Open(t, store.Options{Dir: dir})
	for key, want := range map[string][]byte{"small": small, "large": large} {
		if err := db.View(func(txn *store.Txn) error {
			got, err := txn.Get(testNS, []byte(key))
			if err == nil && !bytes.Equal(got, want) {
				err = fmt.Errorf("%d bytes, want %d", len(got), len(want))
			}
			return err
		}); err != nil {
			t.Errorf("%s after reopen: %v", key, err)
		}
	}
}

func TestCloseTwice(t *testing.T) {
	for name, o := range storetest.Modes(t) {
		t.Run(name, func(t *testing.T) {
			db, err := store.Open(o)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 2 {
				if err := db.Close(); err != nil {
					t.Fatalf("Close #%d: %v", i+1, err)
				}
			}
			if err := db.View(func(*store.Txn) error { return nil }); !errors.Is(err, badger.ErrDBClosed) {
				t.Fatalf("View after Close = %v, want ErrDBClosed", err)
			}
		})
	}
}

func TestUpdateRetriesConflicts(t *testing.T) {
	for name, tc := range map[string]struct {
		conflicts    int // attempts that another writer spoils
		wantAttempts int
		wantErr      error
	}{
		"no conflict":             {conflicts: 0, wantAttempts: 1},
		"one conflict then works": {conflicts: 1, wantAttempts: 2},
		"gives up":                {conflicts: store.UpdateAttempts, wantAttempts: store.UpdateAttempts, wantErr: store.ErrConflict},
	} {
		t.Run(name, func(t *testing.T) {
			db := storetest.Open(t, store.Options{InMemory: true})
			key := []byte("counter")
			attempts := 0
			err := db.Update(func(txn *store.Txn) error {
				attempts++
				if _, err := txn.Get(testNS, key); err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
				if attempts <= tc.conflicts {
					// Another writer changes what this transaction read.
					done := make(chan error)
					go func() {
						done <- db.Update(func(other *store.Txn) error {
							return other.Set(testNS, key, []byte("theirs"))
						})
					}()
					if err := <-done; err != nil {
						return err
					}
				}
				return txn.Set(testNS, key, []byte("ours"))
			})
			if !errors.Is(err, tc.wantErr) || attempts != tc.wantAttempts {
				t.Fatalf("Update = %v after %d attempts, want %v after %d", err, attempts, tc.wantErr, tc.wantAttempts)
			}
		})
	}
}

// TestLimits keeps the transaction limits quoted in doc.go true.
func TestLimits(t *testing.T) {
	for name, tc := range map[string]struct {
		opts           store.Options
		writes, nbytes int64
	}{
		"disk":   {opts: store.Options{Dir: t.TempDir(), GCInterval: -1}, writes: 6553, nbytes: 629145},
		"memory": {opts: store.Options{InMemory: true}, writes: 26214, nbytes: 2516582},
	} {
		t.Run(name, func(t *testing.T) {
			writes, nbytes := storetest.Open(t, tc.opts).TxnLimits()
			if writes != tc.writes || nbytes != tc.nbytes {
				t.Errorf("limits are %d writes, %d bytes; doc.go says %d, %d", writes, nbytes, tc.writes, tc.nbytes)
			}
		})
	}
}

func TestGCLoopStopsOnClose(t *testing.T) {
	rounds := make(chan error, 1)
	var after atomic.Bool // set once Close has returned
	db, err := store.Open(store.Options{Dir: t.TempDir(), GCInterval: time.Millisecond}.WithGCHook(func(_ int, err error) {
		if after.Load() {
			t.Error("GC round after Close")
		}
		select {
		case rounds <- err:
		default:
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 { // the loop runs on its ticker
		if err := <-rounds; err != nil {
			t.Fatalf("GC round: %v", err)
		}
	}
	// Close while rounds keep coming, from two goroutines at once.
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if err := db.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	wg.Wait()
	after.Store(true)
	select {
	case <-db.GCDone():
	default:
		t.Fatal("Close returned before the GC loop did")
	}
}

func TestGCLoopReclaimsValueLog(t *testing.T) {
	if testing.Short() {
		t.Skip("writes several MB")
	}
	rewrote := make(chan struct{})
	var once sync.Once
	o := store.Options{Dir: t.TempDir(), GCInterval: time.Millisecond}.
		// A memtable holds only pointers to logged values, so a small one
		// is flushed and compacted after a few MB of overwrites; that is
		// when Badger learns which log files hold garbage.
		WithTune(func(o badger.Options) badger.Options {
			return o.WithMemTableSize(64 << 10).WithValueLogFileSize(1 << 20).WithNumLevelZeroTables(1)
		}).
		WithGCHook(func(rewrites int, err error) {
			if err != nil {
				t.Errorf("GC round: %v", err)
			}
			if rewrites > 0 {
				once.Do(func() { close(rewrote) })
			}
		})
	db := storetest.Open(t, o)
	value := bytes.Repeat([]byte("x"), 4<<10)
	deadline := time.After(time.Minute)
	for round := 0; ; round++ {
		select {
		case <-rewrote:
			return
		case <-deadline:
			t.Fatalf("no value-log file rewritten after %d rounds of overwrites", round)
		default:
		}
		for k := range 8 {
			if err := db.Update(func(txn *store.Txn) error {
				return txn.Set(testNS, fmt.Appendf(nil, "gc/%d", k), value)
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestBadgerLogsGoToSlog(t *testing.T) {
	for name, tc := range map[string]struct {
		min  slog.Leveler
		want []string
	}{
		// Badger's Info lines (tables deleted, a value log truncated)
		// reach an operator at Info.
		"every level": {want: []string{"ERROR e 1", "WARN w", "INFO i", "DEBUG d"}},
		// A -dev agent logs Badger from Warn.
		"from warn": {min: slog.LevelWarn, want: []string{"ERROR e 1", "WARN w"}},
	} {
		t.Run(name, func(t *testing.T) {
			var h recordHandler
			l := store.NewBadgerLogger(slog.New(&h), tc.min)
			l.Errorf("e %d\n", 1)
			l.Warningf("w")
			l.Infof("i")
			l.Debugf("d")
			if !slices.Equal(h.lines, tc.want) {
				t.Fatalf("logged %q, want %q", h.lines, tc.want)
			}
		})
	}
}

type recordHandler struct {
	mu    sync.Mutex
	lines []string
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lines = append(h.lines, r.Level.String()+" "+r.Message)
	return nil
}
func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordHandler) WithGroup(string) slog.Handler      { return h }
