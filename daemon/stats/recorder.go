package stats

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/marketsync/marketsync/actors/platform"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/sdk"
)

var ns = store.Register("stats/")

const (
	// DefaultRetention is how long minutes are kept when
	// Options.Retention is zero.
	DefaultRetention = 24 * time.Hour
	// DefaultFlushEvery is how often the current minute is written when
	// Options.FlushEvery is zero: what a hard kill can lose.
	DefaultFlushEvery = 10 * time.Second

	// flushBatch is the most minute buckets one flush transaction
	// writes: about 300 bytes each, far below the store's limits.
	flushBatch = 128
	// expireBatch is the most keys one retention transaction deletes.
	expireBatch = 512
	// maxFree bounds the counts kept for reuse (3.6 KB each).
	maxFree = 256
)

// Options configure a Recorder.
type Options struct {
	// Retention is how long a minute is kept, and the longest range a
	// query may ask for: DefaultRetention when zero, rounded up to whole
	// minutes.
	Retention time.Duration
	// FlushEvery is how often the minute in progress is written to the
	// store, besides every minute boundary: DefaultFlushEvery when zero.
	// When negative no background loop runs: only Flush and Close write,
	// and old minutes are not deleted.
	FlushEvery time.Duration
	// Logger receives failed flushes and retention runs; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil is time.Now. Calls count in the minute Now
	// reads when they are reported. The background loop waits on timers
	// for durations computed from Now.
	Now func() time.Time

	// flushed, set by tests, is called after every round of the
	// background loop: a flush and any deletion of expired minutes.
	flushed func(error)
}

// Recorder aggregates plugin calls per platform, operation and minute,
// writes the minutes to the store and answers queries over them. It
// implements platform.Observer; only CallFinished does anything.
type Recorder struct {
	db        *store.DB
	log       *slog.Logger
	now       func() time.Time
	retention int64 // minutes
	flushed   func(error)

	// mu guards live, spare, free and closed. CallFinished holds it for
	// a map lookup and a few additions.
	mu sync.Mutex
	// live holds what was reported since the last flush, by platform,
	// operation and minute.
	live map[bucketKey]*counts
	// spare is the map that replaces live at the next flush, empty.
	spare map[bucketKey]*counts
	// free holds zeroed counts for reuse, so that a new minute does not
	// allocate.
	free   []*counts
	closed bool

	// flushMu makes flushes one at a time, and lets a query read the
	// store and live with no flush moving counts from one to the other.
	flushMu sync.Mutex
	scratch counts

	stop      chan struct{} // closed by Close; nil without a loop
	done      chan struct{} // closed when the loop returns
	closeOnce sync.Once
	closeErr  error
}

type bucketKey struct {
	platform string
	op       sdk.Operation
	minute   int64
}

var _ platform.Observer = (*Recorder)(nil)

// New returns a Recorder that writes to db and, unless o.FlushEvery is
// negative, starts its background loop. Close stops it.
func New(db *store.DB, o Options) (*Recorder, error) {
	if db == nil {
		return nil, errors.New("stats: no database")
	}
	if o.Retention < 0 {
		return nil, fmt.Errorf("stats: negative retention %s", o.Retention)
	}
	if o.Retention == 0 {
		o.Retention = DefaultRetention
	}
	if o.FlushEvery == 0 {
		o.FlushEvery = DefaultFlushEvery
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	r := &Recorder{
		db:        db,
		log:       o.Logger.With("component", "stats"),
		now:       o.Now,
		retention: ceilMinutes(o.Retention),
		flushed:   o.flushed,
		live:      map[bucketKey]*counts{},
		spare:     map[bucketKey]*counts{},
	}
	if o.FlushEvery > 0 {
		r.stop, r.done = make(chan struct{}), make(chan struct{})
		go r.loop(o.FlushEvery)
	}
	return r, nil
}

// Retention is the longest range a query may ask for.
func (r *Recorder) Retention() time.Duration { return time.Duration(r.retention) * time.Minute }

// CallFinished implements platform.Observer: it counts rec in the current
// minute. It never waits for the store; calls reported after Close are
// dropped.
func (r *Recorder) CallFinished(rec platform.CallRecord) {
	k := bucketKey{platform: rec.Platform, op: rec.Operation, minute: unixMinute(r.now())}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	c := r.live[k]
	if c == nil {
		c = r.newCounts()
		r.live[k] = c
	}
	c.record(&rec)
}

// PluginRestarted implements platform.Observer; restarts are not counted.
func (r *Recorder) PluginRestarted(string, string) {}

// BreakerChanged implements platform.Observer; the breaker is not counted.
func (r *Recorder) BreakerChanged(string, string) {}

// newCounts returns zeroed counts; r.mu is held.
func (r *Recorder) newCounts() *counts {
	if n := len(r.free); n > 0 {
		c := r.free[n-1]
		r.free = r.free[:n-1]
		return c
	}
	return new(counts)
}

// Flush adds what was reported since the last flush to the minutes in the
// store. What it could not write stays for the next flush.
func (r *Recorder) Flush(ctx context.Context) error {
	r.flushMu.Lock()
	defer r.flushMu.Unlock()

	r.mu.Lock()
	taken := r.live
	r.live, r.spare = r.spare, nil
	r.mu.Unlock()

	keys := make([]bucketKey, 0, len(taken))
	for k := range taken {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b bucketKey) int {
		return cmp.Or(cmp.Compare(a.minute, b.minute), cmp.Compare(a.platform, b.platform), cmp.Compare(a.op, b.op))
	})
	var err error
	written := 0
	for chunk := range slices.Chunk(keys, flushBatch) {
		if err = ctx.Err(); err != nil {
			break
		}
		if err = r.db.Update(func(txn *store.Txn) error { return r.write(txn, chunk, taken) }); err != nil {
			break
		}
		written += len(chunk)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	for i, k := range keys {
		c := taken[k]
		switch into := r.live[k]; {
		case i < written:
			r.release(c)
		case into != nil:
			into.add(c)
			r.release(c)
		default:
			r.live[k] = c // not written: kept for the next flush
		}
	}
	clear(taken)
	r.spare = taken
	if err != nil {
		return fmt.Errorf("stats: flush: %w", err)
	}
	return nil
}

// release zeroes c and keeps it for reuse; r.mu is held.
func (r *Recorder) release(c *counts) {
	if len(r.free) < maxFree {
		*c = counts{}
		r.free = append(r.free, c)
	}
}

// write adds the counts of keys to their minutes in txn. Update may run it
// more than once, so it only reads taken.
func (r *Recorder) write(txn *store.Txn, keys []bucketKey, taken map[bucketKey]*counts) error {
	for _, k := range keys {
		key := bucketKeyOf(k.minute, k.platform, k.op.String())
		stored := &r.scratch
		switch v, err := txn.Get(ns, key); {
		case errors.Is(err, store.ErrNotFound):
			*stored = counts{}
		case err != nil:
			return err
		default:
			if err := stored.decode(v); err != nil {
				r.log.Warn("replacing an unreadable stats bucket", "key", string(key), "error", err)
			}
		}
		stored.add(taken[k])
		if err := txn.Set(ns, key, stored.appendEncoding(nil)); err != nil {
			return err
		}
	}
	return nil
}

// Close stops the background loop, writes what is left and drops any call
// reported after it. It does not close the database, which must still be
// open. Calling it again returns the first result.
func (r *Recorder) Close() error {
	r.closeOnce.Do(func() {
		r.stopLoop()
		r.closeErr = r.Flush(context.Background())
	})
	return r.closeErr
}

// stopLoop stops the background loop and has CallFinished drop calls from
// now on.
func (r *Recorder) stopLoop() {
	if r.stop != nil {
		close(r.stop)
		<-r.done
	}
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
}

// loop flushes every flushEvery and at every minute boundary, and deletes
// expired minutes when it starts and once a minute, until Close.
func (r *Recorder) loop(flushEvery time.Duration) {
	defer close(r.done)
	r.expireAndLog()
	minute := unixMinute(r.now())
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		now := r.now()
		boundary := minuteStart(unixMinute(now) + 1).Sub(now)
		timer.Reset(min(flushEvery, boundary))
		select {
		case <-r.stop:
			return
		case <-timer.C:
		}
		err := r.Flush(context.Background())
		if err != nil {
			r.log.Warn("stats flush failed; the counts are kept for the next one", "error", err)
		}
		if m := unixMinute(r.now()); m != minute {
			minute = m
			r.expireAndLog()
		}
		if r.flushed != nil {
			r.flushed(err)
		}
	}
}

func (r *Recorder) expireAndLog() {
	if n, err := r.expire(context.Background()); err != nil {
		r.log.Warn("deleting expired stats failed", "deleted", n, "error", err)
	} else if n > 0 {
		r.log.Debug("deleted expired stats", "buckets", n)
	}
}

// expire deletes the minutes that have left the retention, expireBatch
// keys per transaction, and returns how many it deleted.
func (r *Recorder) expire(ctx context.Context) (int, error) {
	end := minuteKey(unixMinute(r.now()) - r.retention)
	deleted := 0
	for {
		if err := ctx.Err(); err != nil {
			return deleted, err
		}
		var keys [][]byte
		err := r.db.View(func(txn *store.Txn) error {
			r := store.Range{Prefix: []byte(minutePrefix), Limit: expireBatch, KeysOnly: true}
			return txn.Scan(ns, r, func(k, _ []byte) error {
				if bytes.Compare(k, end) >= 0 {
					return store.StopScan
				}
				keys = append(keys, bytes.Clone(k))
				return nil
			})
		})
		if err != nil || len(keys) == 0 {
			return deleted, err
		}
		err = r.db.Update(func(txn *store.Txn) error {
			for _, k := range keys {
				if err := txn.Delete(ns, k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return deleted, err
		}
		deleted += len(keys)
		if len(keys) < expireBatch {
			return deleted, nil
		}
	}
}

// ceilMinutes is d in whole minutes, rounded up.
func ceilMinutes(d time.Duration) int64 {
	return int64((d + time.Minute - 1) / time.Minute)
}
