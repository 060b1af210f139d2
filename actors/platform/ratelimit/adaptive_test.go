package ratelimit

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// gateway plays a platform's own limiter: a token bucket the client cannot
// see, answering "rate limited, retry after d" when it is empty.
type gateway struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newGateway(rate float64, burst int) *gateway {
	return &gateway{rate: rate, burst: float64(burst), tokens: float64(burst), last: time.Now()}
}

func (g *gateway) call() (ok bool, retryAfter time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := time.Now()
	g.tokens = min(g.burst, g.tokens+now.Sub(g.last).Seconds()*g.rate)
	g.last = now
	if g.tokens >= 1 {
		g.tokens--
		return true, 0
	}
	return false, time.Duration((1 - g.tokens) / g.rate * float64(time.Second))
}

type tally struct {
	ok, limited [60]int // per second
}

// drive runs callers as fast as the bucket lets them against gw for d,
// feeding every answer back as the platform actor does.
func drive(t *testing.T, b *Bucket, ad *Adaptive, gw *gateway, callers int, d time.Duration) *tally {
	t.Helper()
	var mu sync.Mutex
	res := &tally{}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			for {
				reserved := time.Now()
				if _, err := b.Wait(ctx, 1); err != nil {
					return
				}
				// Each call takes 20ms on the wire.
				<-time.After(20 * time.Millisecond)
				ok, after := gw.call()
				sec := int(time.Since(start) / time.Second)
				mu.Lock()
				if sec < len(res.ok) {
					if ok {
						res.ok[sec]++
					} else {
						res.limited[sec]++
					}
				}
				mu.Unlock()
				if !ok {
					b.PauseUntil(time.Now().Add(after))
				}
				if ad != nil {
					ad.Observe(!ok, 1, reserved, time.Now())
				}
			}
		})
	}
	wg.Wait()
	return res
}

func sum(s []int) (n int) {
	for _, v := range s {
		n += v
	}
	return n
}

func TestAdaptiveConvergesOnAnOverstatedLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gw := newGateway(50, 10)
		b := New(100, 10) // the config claims twice the real limit
		ad := NewAdaptive(b, 100)
		res := drive(t, b, ad, gw, 16, 30*time.Second)
		ok, limited := sum(res.ok[5:30]), sum(res.limited[5:30])
		achieved := float64(ok) / 25
		share := float64(limited) / float64(ok+limited)
		t.Logf("after 5s: %.1f calls/s of 50 (%.1f%%), %.2f%% rate limited; rate now %.1f", achieved, achieved*2, share*100, b.Rate())
		if achieved < 45 {
			t.Errorf("achieved %.1f calls/s, want at least 90%% of the real 50", achieved)
		}
		if share > 0.02 {
			t.Errorf("%.2f%% of calls rate limited after the first 5s, want at most 2%%", share*100)
		}
		if !ad.Enabled() {
			t.Error("adaptation never engaged")
		}
	})
}

func TestWithoutAdaptationAnOverstatedLimitKeepsHittingTheWall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gw := newGateway(50, 10)
		b := New(100, 10)
		res := drive(t, b, nil, gw, 16, 30*time.Second)
		ok, limited := sum(res.ok[5:30]), sum(res.limited[5:30])
		share := float64(limited) / float64(ok+limited)
		t.Logf("without adaptation: %.2f%% rate limited", share*100)
		// Honouring each retry-after (PauseUntil) alone does not stop a
		// client that believes in twice the real rate from hitting the
		// wall again and again: this is what adaptation is for, and what
		// proves the test above measures something.
		if share < 0.05 {
			t.Errorf("only %.2f%% rate limited without adaptation; the scenario is too easy to prove anything", share*100)
		}
	})
}

func TestAdaptiveStaysAtTheCeilingUntilThrottled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gw := newGateway(1000, 100)
		b := New(40, 10)
		ad := NewAdaptive(b, 40)
		res := drive(t, b, ad, gw, 8, 10*time.Second)
		if got := float64(sum(res.ok[1:10])) / 9; got < 39 || b.Rate() != 40 || ad.Enabled() {
			t.Errorf("with a generous platform: %.1f calls/s, rate %.1f, enabled %v; want the configured 40 untouched", got, b.Rate(), ad.Enabled())
		}
	})
}

func TestThrottleCutsByBetaThenCubicRegrowth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(100, 10)
		ad := NewAdaptive(b, 100)
		// Send 40 calls/s for 2 seconds so the measured rate settles.
		for range 80 {
			<-time.After(25 * time.Millisecond)
			ad.Observe(false, 1, time.Now(), time.Now())
		}
		if b.Rate() != 100 {
			t.Fatalf("rate %v moved before any throttling", b.Rate())
		}
		ad.Observe(true, 1, time.Now(), time.Now())
		cut := b.Rate()
		if cut < 0.7*35 || cut > 0.7*41 {
			t.Fatalf("after a throttle at ~40 calls/s the rate is %.1f, want 0.7 of it", cut)
		}
		// Keep sending at 40/s: the rate climbs back to Wmax by K seconds.
		k := ad.k
		for range int(k*40) + 1 {
			<-time.After(25 * time.Millisecond)
			ad.Observe(false, 1, time.Now(), time.Now())
		}
		if got := b.Rate(); got < 0.95*ad.wMax || got > 1.05*ad.wMax {
			t.Errorf("after K=%.2fs the rate is %.1f, want back near Wmax=%.1f", k, got, ad.wMax)
		}
	})
}

func TestObserveAndPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(10, 10)
		b.Observe(3, time.Time{})
		if got := b.Tokens(); got != 3 {
			t.Errorf("after the platform said 3 remain: %v tokens", got)
		}
		b.Observe(8, time.Time{})
		if got := b.Tokens(); got != 3 {
			t.Errorf("a higher remote count raised local tokens to %v", got)
		}
		start := time.Now()
		b.Observe(0, start.Add(2*time.Second))
		if _, err := b.Wait(context.Background(), 1); err != nil || time.Since(start) != 2*time.Second {
			t.Errorf("with no quota left until reset in 2s, the next call went at %v (%v)", time.Since(start), err)
		}
	})
}

func TestPauseHoldsCallersAlreadyWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(10, 1)
		b.Allow(1)
		start := time.Now()
		done := make(chan time.Duration)
		go func() { _, _ = b.Wait(context.Background(), 1); done <- time.Since(start) }()
		synctest.Wait() // the caller holds a reservation due at 100ms
		b.PauseUntil(start.Add(5 * time.Second))
		if got := <-done; got != 5*time.Second {
			t.Errorf("a caller waiting before the ban went at %v, want when the ban ended (5s)", got)
		}
	})
}
