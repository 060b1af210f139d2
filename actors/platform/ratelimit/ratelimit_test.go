package ratelimit

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestBurstThenRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(10, 5)
		start := time.Now()
		for i := range 5 {
			if w, err := b.Wait(context.Background(), 1); err != nil || w != 0 {
				t.Fatalf("call %d within burst waited %v (%v)", i, w, err)
			}
		}
		for i := range 20 {
			if _, err := b.Wait(context.Background(), 1); err != nil {
				t.Fatal(err)
			}
			// The (5+i+1)th token exists at (i+1)/10 s.
			if got, want := time.Since(start), time.Duration(i+1)*100*time.Millisecond; got != want {
				t.Fatalf("call %d after burst at %v, want %v", i, got, want)
			}
		}
	})
}

func TestCostTakesSeveralTokens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(4, 4)
		start := time.Now()
		if _, err := b.Wait(context.Background(), 4); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Wait(context.Background(), 2); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got != 500*time.Millisecond {
			t.Errorf("two tokens at 4/s after emptying took %v, want 500ms", got)
		}
		if _, err := b.Wait(context.Background(), 5); err == nil {
			t.Error("a cost above the burst can never be served and must fail")
		}
	})
}

func TestConcurrentWaitersNeverExceedTheRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(50, 10)
		start := time.Now()
		var mu sync.Mutex
		var times []time.Duration
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 40 {
					if _, err := b.Wait(context.Background(), 1); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					times = append(times, time.Since(start))
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		// 320 calls: 10 from the burst, 310 at 50/s = 6.2s.
		if got := time.Since(start); got != 6200*time.Millisecond {
			t.Errorf("320 calls took %v, want 6.2s", got)
		}
		// No one-second window holds more than rate+burst calls.
		for i := range times {
			n := 0
			for _, u := range times[i:] {
				if u-times[i] < time.Second {
					n++
				}
			}
			if n > 60 {
				t.Fatalf("%d calls in the second after %v", n, times[i])
			}
		}
	})
}

func TestDeadlineFailsFastAndRefunds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(1, 1)
		b.Allow(1)
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		start := time.Now()
		if _, err := b.Wait(ctx, 1); !errors.Is(err, ErrWouldExceedDeadline) {
			t.Fatalf("got %v, want ErrWouldExceedDeadline", err)
		}
		if time.Since(start) != 0 {
			t.Error("a doomed wait slept")
		}
		// The refused wait took nothing: the next token is still due at 1s.
		if _, err := b.Wait(context.Background(), 1); err != nil || time.Since(start) != time.Second {
			t.Errorf("next wait ended at %v (%v), want 1s", time.Since(start), err)
		}
	})
}

func TestCancelledWaitGivesTokensBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(1, 1)
		b.Allow(1)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { _, err := b.Wait(ctx, 1); done <- err }()
		synctest.Wait()
		if b.Tokens() >= 0 {
			t.Fatalf("a waiting caller should hold a reservation, tokens=%v", b.Tokens())
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v", err)
		}
		if tok := b.Tokens(); tok != 0 {
			t.Errorf("tokens after the cancelled wait: %v, want 0", tok)
		}
	})
}

func TestSetRateAndUnlimited(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(0, 1)
		for range 1000 {
			if !b.Allow(1) {
				t.Fatal("an unlimited bucket refused")
			}
		}
		b.SetRate(2)
		start := time.Now()
		_, _ = b.Wait(context.Background(), 1)
		_, _ = b.Wait(context.Background(), 1)
		if got := time.Since(start); got > time.Second || got < 500*time.Millisecond {
			t.Errorf("two tokens at 2/s took %v", got)
		}
	})
}

func TestWaitUntilHonoursTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(2, 1)
		start := time.Now()
		if _, err := b.WaitUntil(start.Add(time.Hour), 1); err != nil || time.Since(start) != 0 {
			t.Fatalf("first token: %v after %v", err, time.Since(start))
		}
		if _, err := b.WaitUntil(start.Add(100*time.Millisecond), 1); !errors.Is(err, ErrWouldExceedDeadline) {
			t.Fatalf("a token due at 500ms before a 100ms deadline: %v", err)
		}
		if w, err := b.WaitUntil(start.Add(time.Second), 1); err != nil || w != 500*time.Millisecond {
			t.Errorf("token due at 500ms: waited %v (%v)", w, err)
		}
	})
}

// TestNoBurstAfterABan replays the timeline of a ban: callers queue for
// tokens at 5 calls/s, the platform bans for a second, and the refused
// calls are tried again as the ban ends. Every caller whose turn fell
// within the ban, and every retry, must then go one at a time at the
// sustained rate: a burst at the ban's end is what starts the next ban.
func TestNoBurstAfterABan(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rate = 5
		b := New(rate, 2)
		start := time.Now()
		var mu sync.Mutex
		var released []time.Duration
		call := func() {
			if _, err := b.Wait(context.Background(), 1); err != nil {
				t.Error(err)
			}
			mu.Lock()
			released = append(released, time.Since(start))
			mu.Unlock()
		}
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for time.Since(start) < 4*time.Second {
					call()
				}
			})
		}
		<-time.After(1050 * time.Millisecond)
		banEnd := time.Now().Add(time.Second)
		b.PauseUntil(banEnd)
		// Three calls were refused: their retries come when the ban ends.
		for range 3 {
			wg.Go(func() {
				<-time.After(time.Until(banEnd))
				call()
			})
		}
		wg.Wait()
		slices.Sort(released)
		var after []time.Duration
		for _, r := range released {
			if r >= banEnd.Sub(start) {
				after = append(after, r)
			}
		}
		if len(after) == 0 || after[0] != banEnd.Sub(start) {
			t.Fatalf("first call after the ban at %v, want when it ended (%v)", after, banEnd.Sub(start))
		}
		for i := 1; i < len(after); i++ {
			if gap := after[i] - after[i-1]; gap < time.Second/rate {
				t.Fatalf("calls %d and %d after the ban went %v apart, want at least %v: %v", i-1, i, gap, time.Second/rate, after)
			}
		}
		for _, r := range released {
			if r > 1050*time.Millisecond && r < banEnd.Sub(start) {
				t.Errorf("a call went at %v, during the ban", r)
			}
		}
	})
}

func TestGiveReturnsWhatACallDidNotUse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(10, 100)
		if _, err := b.Wait(context.Background(), 100); err != nil {
			t.Fatal(err)
		}
		// The call asked for 100 and cost 10: 90 come back, and a call
		// of 90 goes at once.
		b.Give(90)
		start := time.Now()
		if _, err := b.Wait(context.Background(), 90); err != nil {
			t.Fatal(err)
		}
		if time.Since(start) != 0 {
			t.Errorf("a call of the tokens given back waited %v", time.Since(start))
		}
		// A call that cost more than it took owes the rest: -20 tokens,
		// so a call of 10 waits 3 s at 10 a second.
		b.Give(-20)
		if _, err := b.Wait(context.Background(), 10); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got != 3*time.Second {
			t.Errorf("after a cost overrun of 20 a call of 10 went at %v, want 3s", got)
		}
		b.Give(1000)
		if got := b.Tokens(); got != 100 {
			t.Errorf("giving more than the capacity left %v tokens, want the burst 100", got)
		}
	})
}

func TestTrackFollowsTheReportedBucket(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(10, 100)
		// Nothing outstanding: the platform's report is the truth, up and
		// down.
		if moved := b.Track(40, 0); moved != -60 {
			t.Errorf("tracking a full bucket to 40 moved it by %v, want -60", moved)
		}
		if got := b.Tokens(); got != 40 {
			t.Errorf("tracked to a report of 40 with nothing outstanding: %v tokens", got)
		}
		b.Give(-30)
		if moved := b.Track(40, 0); moved != 30 {
			t.Errorf("tracking 10 tokens up to 40 moved them by %v, want 30", moved)
		}
		if got := b.Tokens(); got != 40 {
			t.Errorf("tracked up to a report of 40 with nothing outstanding: %v tokens", got)
		}
		// 25 taken by a call the platform may not have charged yet: any
		// count from 15 to 40 is consistent, and the bucket keeps its own.
		b.Give(-25)
		if moved := b.Track(40, 25); moved != 0 {
			t.Errorf("a count within the report's range moved by %v", moved)
		}
		if got := b.Tokens(); got != 15 {
			t.Errorf("a count within what the report allows changed: %v tokens, want 15", got)
		}
		b.Track(10, 25)
		if got := b.Tokens(); got != 10 {
			t.Errorf("a report below the count must lower it: %v tokens, want 10", got)
		}
		// A report that may be older than the count only lowers it.
		b.Track(80, math.Inf(1))
		if got := b.Tokens(); got != 10 {
			t.Errorf("a report of unknown age raised the count to %v", got)
		}
		// A waiting caller is moved by a correction.
		done := make(chan time.Duration)
		start := time.Now()
		go func() {
			b.Wait(context.Background(), 30)
			done <- time.Since(start)
		}()
		synctest.Wait()
		b.Track(30, 30)
		if got := <-done; got != 0 {
			t.Errorf("a caller waiting for 30 tokens went at %v after the platform reported 30 free, want at once", got)
		}
	})
}
