package window

import (
	"testing"
	"time"
)

func TestSlidingSum(t *testing.T) {
	c := New(time.Second, 10)
	t0 := time.Unix(1000, 0)
	for i := range 10 {
		c.Add(t0.Add(time.Duration(i)*100*time.Millisecond), 1)
	}
	if got := c.Sum(t0.Add(950 * time.Millisecond)); got != 10 {
		t.Errorf("sum within the window %v, want 10", got)
	}
	if got := c.Rate(t0.Add(950 * time.Millisecond)); got != 10 {
		t.Errorf("rate %v, want 10/s", got)
	}
	// 1.15 s in, the window holds the ten 100 ms slots from 200 ms on:
	// the adds at 0 and 100 ms have slid out.
	if got := c.Sum(t0.Add(1150 * time.Millisecond)); got != 8 {
		t.Errorf("sum after sliding %v, want 8", got)
	}
	if got := c.Sum(t0.Add(time.Hour)); got != 0 {
		t.Errorf("sum an hour later %v, want 0", got)
	}
	// A slot reused after wrapping round starts from zero.
	c.Add(t0.Add(2*time.Second), 5)
	if got := c.Sum(t0.Add(2 * time.Second)); got != 5 {
		t.Errorf("sum after reuse %v, want 5", got)
	}
}
