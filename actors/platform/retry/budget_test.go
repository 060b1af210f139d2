package retry

import (
	"testing"
	"testing/synctest"
	"time"
)

func TestBudgetIsAShareOfCallsPlusAFloor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBudget(10*time.Second, 0.2, 0.5) // floor: 5 retries per 10 s
		for range 100 {
			b.Deposit()
		}
		got := 0
		for b.TryWithdraw() {
			got++
		}
		if got != 25 {
			t.Errorf("%d retries after 100 calls, want 20%% of them plus the floor of 5 = 25", got)
		}
		if b.Refused() != 1 {
			t.Errorf("refused %d, want 1", b.Refused())
		}
		// Ten seconds later calls and retries have left the window.
		<-time.After(11 * time.Second)
		if bal := b.Balance(); bal != 5 {
			t.Errorf("balance after the window %v, want the floor 5", bal)
		}
	})
}

func TestBudgetBoundsARetryStorm(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// A platform failing every call for a minute, 50 new calls a
		// second, each wanting up to 4 retries: without a budget that is
		// 200 retries a second on top of the 50 calls.
		b := NewBudget(10*time.Second, 0.2, 1)
		calls, retries := 0, 0
		for range 60 {
			for range 50 {
				b.Deposit()
				calls++
				for range 4 {
					if !b.TryWithdraw() {
						break
					}
					retries++
				}
			}
			<-time.After(time.Second)
		}
		if max := int(0.2*float64(calls)) + 60 + 10; retries > max {
			t.Errorf("%d retries for %d calls; the budget allows at most %d", retries, calls, max)
		}
		if retries < int(0.2*float64(calls))-20 {
			t.Errorf("%d retries for %d calls: the budget is tighter than its share", retries, calls)
		}
	})
}
