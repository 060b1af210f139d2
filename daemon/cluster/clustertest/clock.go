package clustertest

import (
	"testing"
	"testing/synctest"
	"time"
)

// Step is how far Eventually moves the virtual clock between checks.
const Step = 10 * time.Millisecond

// Eventually checks cond after every goroutine of the synctest bubble has
// blocked, moving the bubble's virtual clock by Step between checks, and
// fails t when cond is still false once within has passed on that clock.
// It must run inside synctest.Test: outside a bubble it would really wait.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		synctest.Wait()
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", within, what)
		}
		time.Sleep(Step) // virtual time: the bubble's clock jumps
	}
}
