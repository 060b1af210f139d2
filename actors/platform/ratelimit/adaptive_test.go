package ratelimit

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/marketsync/marketsync/sdk/simkit"
)

// signal is how a simulated platform says a call was over its limit.
type signal int

const (
	statedBan  signal = iota // a ban of whole seconds, rounded up, as TOP and IOP state it
	retryAfter               // the exact wait
	noHint                   // nothing but the refusal
)

func (s signal) String() string { return [...]string{"stated-ban", "exact-wait", "no-hint"}[s] }

// gateway plays a platform's own limiter: the simulators' bucket, which
// the client cannot see, refusing calls with the given signal.
type gateway struct {
	bucket *simkit.Bucket
	signal signal
}

func newGateway(rate float64, burst int, s signal) *gateway {
	return &gateway{bucket: simkit.NewBucket(rate, burst), signal: s}
}

// call spends a call of the platform's limit, or refuses it with the wait
// the platform states (zero: none).
func (g *gateway) call() (ok bool, stated time.Duration) {
	wait, ok := g.bucket.Take(time.Now())
	switch {
	case ok || g.signal == noHint:
		return ok, 0
	case g.signal == statedBan:
		return false, time.Duration(math.Ceil(wait.Seconds())) * time.Second
	}
	return false, wait
}

type tally struct {
	ok, limited [60]int // per second
	released    []time.Duration
}

// drive runs callers as fast as the bucket lets them against gw for d,
// feeding every answer back as the platform actor does (resilience.go):
// a stated wait pauses the bucket, a refusal without one empties it, and
// the refused call goes through the bucket again.
func drive(t *testing.T, b *Bucket, ad *Adaptive, gw *gateway, callers int, latency, d time.Duration) *tally {
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
				waited, err := b.Wait(ctx, 1)
				if err != nil {
					return
				}
				<-time.After(latency)
				ok, stated := gw.call()
				sec := int(time.Since(start) / time.Second)
				mu.Lock()
				res.released = append(res.released, time.Since(start)-latency)
				if sec < len(res.ok) {
					if ok {
						res.ok[sec]++
					} else {
						res.limited[sec]++
					}
				}
				mu.Unlock()
				now := time.Now()
				switch {
				case !ok && stated > 0:
					b.PauseUntil(now.Add(stated))
				case !ok:
					b.Observe(0, time.Time{})
				}
				if ad != nil {
					ad.Observe(Answer{Throttled: !ok, Cost: 1, Reserved: reserved, Waited: waited, At: now})
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

// TestAdaptiveMatrix runs the control against a platform allowing 5
// calls a second with bursts of 1, 2 and 10, told the truth, twice and
// four times the rate, or four times the burst, for each way of
// signalling a refusal. Told the truth it must use 97 % of the limit with
// at most 0.5 % of answers refused after the first 5 s; told wrong, 90 %
// and 2 %.
func TestAdaptiveMatrix(t *testing.T) {
	const limit = 5.0
	for _, burst := range []int{1, 2, 10} {
		for _, told := range []struct {
			name  string
			rate  float64
			burst int
		}{
			{"truth", limit, burst},
			{"2x-rate", 2 * limit, burst},
			{"4x-rate", 4 * limit, burst},
			{"4x-burst", limit, 4 * burst},
		} {
			for _, sig := range []signal{statedBan, retryAfter, noHint} {
				name := fmt.Sprintf("burst-%d/told-%s/%s", burst, told.name, sig)
				t.Run(name, func(t *testing.T) {
					synctest.Test(t, func(t *testing.T) {
						gw := newGateway(limit, burst, sig)
						b := New(told.rate, told.burst)
						ad := NewAdaptive(b, told.rate)
						res := drive(t, b, ad, gw, 16, 20*time.Millisecond, 60*time.Second)
						ok, limited := sum(res.ok[5:]), sum(res.limited[5:])
						used := float64(ok) / 55 / limit
						share := float64(limited) / float64(ok+limited)
						lo, hi := ad.Bounds()
						t.Logf("%.1f%% of the limit, %.2f%% refused (%d); rate %.2f burst %d, bounds %.2f–%.2f", used*100, share*100, limited, b.Rate(), b.Burst(), lo, hi)
						wantUsed, wantShare := 0.90, 0.02
						if told.name == "truth" {
							wantUsed, wantShare = 0.97, 0.005
						}
						if used < wantUsed || share > wantShare {
							t.Errorf("used %.1f%% of the limit with %.2f%% refused; want at least %.0f%% and at most %.1f%%", used*100, share*100, wantUsed*100, wantShare*100)
						}
					})
				})
			}
		}
	}
}

// TestBurstLearnedFromRefusedBurstCalls tells the bucket the right rate
// and four times the platform's burst: the calls refused out of the first
// burst lower the burst to the platform's, and the rate is left alone.
func TestBurstLearnedFromRefusedBurstCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gw := newGateway(5, 2, statedBan)
		b := New(5, 8)
		ad := NewAdaptive(b, 5)
		res := drive(t, b, ad, gw, 16, 20*time.Millisecond, 20*time.Second)
		if b.Burst() != 2 || b.Rate() != 5 || sum(res.limited[1:]) != 0 {
			t.Errorf("burst %d, rate %v, %d refused after the first second; want the platform's burst 2, the rate 5 untouched, none", b.Burst(), b.Rate(), sum(res.limited[1:]))
		}
	})
}

// TestALoneRefusalAtAGoodRateCostsAStep runs the bucket at its configured
// rate, with demand above it, long enough for that rate to count as good;
// one refusal then (a call that reached the platform a hair early) lowers
// the rate by twice Tolerance, not by β.
func TestALoneRefusalAtAGoodRateCostsAStep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(50, 10)
		ad := NewAdaptive(b, 50)
		res := drive(t, b, ad, newGateway(1000, 100, retryAfter), 16, 20*time.Millisecond, 10*time.Second)
		if ad.Enabled() || sum(res.limited[:]) != 0 {
			t.Fatal("refused by a generous platform")
		}
		now := time.Now()
		ad.Observe(Answer{Throttled: true, Cost: 1, Reserved: now.Add(-20 * time.Millisecond), Waited: 20 * time.Millisecond, At: now})
		if got, want := b.Rate(), 50*(1-2*Tolerance); got != want {
			t.Errorf("after one refusal at the good rate 50: rate %v, want %v", got, want)
		}
	})
}

func TestAdaptiveStaysAtTheCeilingUntilThrottled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gw := newGateway(1000, 100, retryAfter)
		b := New(40, 10)
		ad := NewAdaptive(b, 40)
		res := drive(t, b, ad, gw, 8, 20*time.Millisecond, 10*time.Second)
		if got := float64(sum(res.ok[1:10])) / 9; got < 39 || b.Rate() != 40 || ad.Enabled() {
			t.Errorf("with a generous platform: %.1f calls/s, rate %.1f, enabled %v; want the configured 40 untouched", got, b.Rate(), ad.Enabled())
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
