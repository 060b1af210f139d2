package stats_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/marketsync/marketsync/daemon/stats"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
	"github.com/marketsync/marketsync/sdk"
)

// The tests of the background loop run in a synctest bubble, whose clock
// starts at midnight UTC on 2000-01-01 and moves only when every goroutine
// of the bubble waits: here, for the loop's next round. Badger's write path
// shares a WaitGroup between the writer and its own goroutines, so the
// database is opened inside the bubble too.
var bubbleStart = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// startLoop starts a recorder on db with its background loop; every round
// sends on the returned channel, which the test must drain.
func startLoop(t *testing.T, db *store.DB, o stats.Options) (*stats.Recorder, <-chan error) {
	t.Helper()
	rounds := make(chan error)
	r, err := stats.New(db, o.WithFlushHook(func(err error) { rounds <- err }))
	if err != nil {
		t.Fatal(err)
	}
	return r, rounds
}

// TestLoopSchedule checks when the loop flushes: every FlushEvery and at
// every minute boundary, so a finished minute is written when it ends.
func TestLoopSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, rounds := startLoop(t, memDB(t), stats.Options{FlushEvery: 45 * time.Second})
		var at []time.Duration
		for round := range 5 {
			if err := <-rounds; err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			at = append(at, time.Since(bubbleStart))
			if n := r.Pending(); n != 0 {
				t.Errorf("round %d at %v left %d buckets unflushed", round, at[round], n)
			}
			// A call for the next round to write: at 45 s it is in the
			// first minute, which the round at 60 s must write.
			r.CallFinished(ok("tb", sdk.OpFetchProducts))
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		want := []time.Duration{45 * time.Second, 60 * time.Second, 105 * time.Second, 120 * time.Second, 165 * time.Second}
		if !slices.Equal(at, want) {
			t.Errorf("rounds at %v, want %v", at, want)
		}
		if got := query(t, r, stats.Query{Range: 3 * time.Minute}).Total.Calls; got != 5 {
			t.Errorf("%d calls stored, want 5", got)
		}
	})
}

// TestHardKill copies the database's files while the recorder runs, as a
// killed process leaves them, and opens the copy: the calls flushed by
// the loop are there, those after the last flush are lost, nothing else.
func TestHardKill(t *testing.T) {
	dir, crashed := t.TempDir(), t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		db := storetest.Open(t, store.Options{Dir: dir, GCInterval: -1})
		r, rounds := startLoop(t, db, stats.Options{})
		record(r, ok("tb", sdk.OpFetchProducts), 5)
		if err := <-rounds; err != nil {
			t.Fatal(err)
		}
		if since := time.Since(bubbleStart); since != stats.DefaultFlushEvery {
			t.Errorf("first flush after %v, want %v", since, stats.DefaultFlushEvery)
		}
		record(r, ok("tb", sdk.OpFetchProducts), 3)
		copyDir(t, dir, crashed)
		r.Abandon()
	})
	after := &clock{t: bubbleStart.Add(30 * time.Second)}
	r := newRecorder(t, storetest.Open(t, store.Options{Dir: crashed, GCInterval: -1}), after, stats.Options{})
	if got := query(t, r, stats.Query{Range: time.Minute}).Total.Calls; got != 5 {
		t.Errorf("%d calls survived the kill, want the 5 flushed", got)
	}
}

// copyDir copies the regular files of src into dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		in, err := os.Open(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.Create(filepath.Join(dst, e.Name()))
		if err == nil {
			_, err = io.Copy(out, in)
			err = errors.Join(err, out.Close())
		}
		in.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestLoopExpires checks that the loop deletes the minutes past the
// retention when it starts and as minutes pass.
func TestLoopExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := memDB(t)
		// One call a minute from 23:50 to 23:59 the day before.
		clk := &clock{}
		old := newRecorder(t, db, clk, stats.Options{})
		for m := range 10 {
			clk.Set(bubbleStart.Add(time.Duration(m-10) * time.Minute))
			old.CallFinished(ok("tb", sdk.OpFetchProducts))
		}
		if err := old.Close(); err != nil {
			t.Fatal(err)
		}
		r, rounds := startLoop(t, db, stats.Options{Retention: 5 * time.Minute})
		reader := newRecorder(t, db, nil, stats.Options{Retention: time.Hour})
		stored := func() int64 { return query(t, reader, stats.Query{Range: time.Hour}).Total.Calls }
		<-rounds // 00:00:10
		if got := stored(); got != 5 {
			t.Errorf("at start: %d minutes kept, want 5 (23:55 to 23:59)", got)
		}
		for range 5 {
			<-rounds
		}
		// 00:01:00
		if got := stored(); got != 4 {
			t.Errorf("at 00:01: %d minutes kept, want 4 (23:56 to 23:59)", got)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	})
}
