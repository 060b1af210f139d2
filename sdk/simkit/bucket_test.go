package simkit_test

import (
	"testing"
	"time"

	"github.com/marketsync/marketsync/sdk/simkit"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestBucketBurstThenRate(t *testing.T) {
	clock := simkit.NewFakeClock(t0)
	b := simkit.NewBucket(2, 3)
	for k := range 3 {
		if wait, ok := b.Take(clock.Now()); !ok {
			t.Fatalf("call %d of the burst refused, wait %v", k+1, wait)
		}
	}
	wait, ok := b.Take(clock.Now())
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("fourth call: ok %v wait %v, want refused for 500ms", ok, wait)
	}
	clock.Advance(wait - time.Nanosecond)
	if _, ok := b.Take(clock.Now()); ok {
		t.Fatal("call a nanosecond early was admitted")
	}
	clock.Advance(time.Nanosecond)
	if wait, ok := b.Take(clock.Now()); !ok {
		t.Fatalf("call after the wait refused, wait %v", wait)
	}
	// A pause refills at most burst tokens.
	clock.Advance(time.Hour)
	for k := range 3 {
		if _, ok := b.Take(clock.Now()); !ok {
			t.Fatalf("call %d after a pause refused", k+1)
		}
	}
	if _, ok := b.Take(clock.Now()); ok {
		t.Fatal("the bucket held more than its burst after a pause")
	}
}

func TestBucketLimits(t *testing.T) {
	for name, tc := range map[string]struct {
		rate     float64
		burst    int
		calls    int // admitted at one instant
		wait     time.Duration
		unlimted bool
	}{
		"no limit":         {rate: 0, burst: 0, calls: 100, unlimted: true},
		"negative rate":    {rate: -1, burst: 5, calls: 100, unlimted: true},
		"burst 0 refuses":  {rate: 4, burst: 0, calls: 0, wait: 250 * time.Millisecond},
		"burst 1":          {rate: 10, burst: 1, calls: 1, wait: 100 * time.Millisecond},
		"slow rate":        {rate: 0.01, burst: 1, calls: 1, wait: 100 * time.Second},
		"negative burst 0": {rate: 1, burst: -3, calls: 0, wait: time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			b := simkit.NewBucket(tc.rate, tc.burst)
			if b.Limited() == tc.unlimted {
				t.Errorf("Limited() = %v", b.Limited())
			}
			for k := range tc.calls {
				if _, ok := b.Take(t0); !ok {
					t.Fatalf("call %d refused", k+1)
				}
			}
			if tc.unlimted {
				return
			}
			wait, ok := b.Take(t0)
			if ok || wait != tc.wait {
				t.Errorf("next call: ok %v wait %v, want refused for %v", ok, wait, tc.wait)
			}
			// A refused call costs nothing: the wait stays the same.
			if again, _ := b.Take(t0); again != wait {
				t.Errorf("second refusal waits %v, want %v", again, wait)
			}
		})
	}
}

func TestBucketNilNeverRefuses(t *testing.T) {
	var b *simkit.Bucket
	if _, ok := b.Take(t0); !ok || b.Limited() || b.Rate() != 0 || b.Quota(t0) != (simkit.Quota{}) {
		t.Fatal("a nil bucket limits")
	}
}

func TestBucketSetRefills(t *testing.T) {
	b := simkit.NewBucket(1, 1)
	b.Take(t0)
	if _, ok := b.Take(t0); ok {
		t.Fatal("empty bucket admitted a call")
	}
	b.Set(5, 2)
	if b.Rate() != 5 {
		t.Errorf("rate %v, want 5", b.Rate())
	}
	for k := range 2 {
		if _, ok := b.Take(t0); !ok {
			t.Fatalf("call %d after Set refused", k+1)
		}
	}
	b.Set(0, 0)
	if _, ok := b.Take(t0); !ok || b.Limited() {
		t.Fatal("Set(0, 0) did not lift the limit")
	}
}

func TestBucketQuota(t *testing.T) {
	clock := simkit.NewFakeClock(t0)
	b := simkit.NewBucket(2, 3)
	if q := b.Quota(clock.Now()); q != (simkit.Quota{Remaining: 3, Limit: 3}) {
		t.Errorf("full bucket: %+v", q)
	}
	b.Take(clock.Now())
	if q := b.Quota(clock.Now()); q.Remaining != 2 || !q.Reset.IsZero() {
		t.Errorf("after one call: %+v, want 2 left and no reset", q)
	}
	b.Take(clock.Now())
	b.Take(clock.Now())
	q := b.Quota(clock.Now())
	if q.Remaining != 0 || q.Limit != 3 || !q.Reset.Equal(t0.Add(500*time.Millisecond)) {
		t.Errorf("empty bucket: %+v, want 0 of 3 reset at +500ms", q)
	}
	// Part of a token back is not a call: still 0, reset unchanged.
	clock.Advance(200 * time.Millisecond)
	if q := b.Quota(clock.Now()); q.Remaining != 0 || !q.Reset.Equal(t0.Add(500*time.Millisecond)) {
		t.Errorf("after 200ms: %+v", q)
	}
	clock.Advance(300 * time.Millisecond)
	if q := b.Quota(clock.Now()); q.Remaining != 1 || !q.Reset.IsZero() {
		t.Errorf("after 500ms: %+v, want 1 left", q)
	}
	clock.Advance(time.Minute)
	if q := b.Quota(clock.Now()); q.Remaining != 3 {
		t.Errorf("after a minute: %+v, want full", q)
	}
}

func TestCountsTakenAndRefused(t *testing.T) {
	clock := simkit.NewFakeClock(time.Unix(0, 0))
	b := simkit.NewBucket(5, 2)
	for range 4 {
		b.Take(clock.Now())
	}
	clock.Advance(200 * time.Millisecond)
	b.Take(clock.Now())
	if got := b.Counts(); got != (simkit.Counts{Taken: 3, Refused: 2}) {
		t.Errorf("after a burst of 4 into 2 and one call a token later: %+v, want 3 taken, 2 refused", got)
	}
	b.Set(10, 1)
	if got := b.Counts(); got.Taken != 3 {
		t.Errorf("Set reset the counts: %+v", got)
	}
	for wait, want := range map[time.Duration]int64{time.Millisecond: 1, 200 * time.Millisecond: 1, time.Second: 1, 1001 * time.Millisecond: 2} {
		if got := simkit.BanSeconds(wait); got != want {
			t.Errorf("BanSeconds(%v) = %d, want %d", wait, got, want)
		}
	}
}
