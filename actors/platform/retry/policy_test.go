package retry

import (
	"testing"
	"time"
)

func TestWindowDoublesAndCaps(t *testing.T) {
	p := Policy{Base: 100 * time.Millisecond, Max: time.Second}
	want := []time.Duration{100 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second, time.Second}
	for attempt, w := range want {
		if got := p.Window(attempt); got != w {
			t.Errorf("Window(%d) = %v, want %v", attempt, got, w)
		}
	}
	if got := p.Window(1000); got != time.Second {
		t.Errorf("Window(1000) = %v, want the cap", got)
	}
}

func TestFullJitterSpansTheWindow(t *testing.T) {
	p := Policy{Base: 100 * time.Millisecond, Max: time.Second}
	for _, r := range []float64{0, 0.5, 0.999} {
		got := p.FullJitter(3, func() float64 { return r })
		if want := time.Duration(r * float64(400*time.Millisecond)); got != want {
			t.Errorf("rnd %v: %v, want %v", r, got, want)
		}
	}
}

func TestDelayHonoursRetryAfter(t *testing.T) {
	p := Policy{Base: 100 * time.Millisecond, Max: time.Second}
	half := func() float64 { return 0.5 }
	if got := p.Delay(1, 5*time.Second, half); got != 5*time.Second {
		t.Errorf("retry-after above the cap: %v, want 5s", got)
	}
	if got := p.Delay(4, 10*time.Millisecond, half); got != 400*time.Millisecond {
		t.Errorf("retry-after below the jitter: %v, want 400ms", got)
	}
}
