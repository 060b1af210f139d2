package simkit_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/marketsync/marketsync/sdk/simkit"
)

func TestFakeClockAdvance(t *testing.T) {
	c := simkit.NewFakeClock(t0)
	c.Advance(90 * time.Second)
	if got := c.Now(); !got.Equal(t0.Add(90 * time.Second)) {
		t.Fatalf("Now %v after Advance", got)
	}
}

func TestFakeClockAfterFiresOnAdvance(t *testing.T) {
	c := simkit.NewFakeClock(t0)
	ch := c.After(time.Second)
	select {
	case <-ch:
		t.Fatal("fired before the clock moved")
	default:
	}
	c.Advance(999 * time.Millisecond)
	select {
	case <-ch:
		t.Fatal("fired early")
	default:
	}
	c.Advance(time.Millisecond)
	select {
	case at := <-ch:
		if !at.Equal(t0.Add(time.Second)) {
			t.Errorf("fired with %v", at)
		}
	default:
		t.Fatal("did not fire when its time came")
	}
	select {
	case <-c.After(0):
	default:
		t.Fatal("After(0) did not fire at once")
	}
}

// The wall clock and a bucket on it, inside a synctest bubble: the bubble's
// time stands still until every goroutine is blocked, so the wait the
// bucket gives is exactly what the bubble's timer needs.
func TestWallClockBucketInBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := simkit.NewBucket(10, 2)
		b.Take(simkit.Wall.Now())
		b.Take(simkit.Wall.Now())
		wait, ok := b.Take(simkit.Wall.Now())
		if ok || wait != 100*time.Millisecond {
			t.Fatalf("third call: ok %v wait %v", ok, wait)
		}
		<-time.After(wait)
		if _, ok := b.Take(simkit.Wall.Now()); !ok {
			t.Fatal("call refused after the wait on the bubble's clock")
		}
	})
}

func TestClockOf(t *testing.T) {
	if simkit.ClockOf(nil) != simkit.Wall {
		t.Error("ClockOf(nil) is not Wall")
	}
	if got := simkit.ClockOf(func() time.Time { return t0 }).Now(); !got.Equal(t0) {
		t.Errorf("ClockOf(f).Now() = %v", got)
	}
}
