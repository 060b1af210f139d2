package simkit

import (
	"errors"
	"maps"
	"testing"
	"testing/synctest"
)

// Tokens below the largest let through are refused and counted; a write
// without a token passes before any fenced one and is refused after.
func TestFenceRefusesStaleTokens(t *testing.T) {
	f := NewFence()
	admit := func(h string) error {
		done, err := f.Admit(h)
		if err == nil {
			done(true)
		}
		return err
	}
	var stale *StaleTokenError
	for _, step := range []struct {
		header string
		stale  bool
	}{{"", false}, {"4", false}, {"4", false}, {"9", false}, {"5", true}, {"", true}, {"9", false}} {
		if err := admit(step.header); errors.As(err, &stale) != step.stale {
			t.Fatalf("token %q: %v, want stale %v", step.header, err, step.stale)
		}
	}
	if err := admit("x"); err == nil || errors.As(err, &stale) {
		t.Fatalf("malformed token: %v", err)
	}
	st := f.State()
	if st.High != 9 || !maps.Equal(st.Accepted, map[uint64]int64{0: 1, 4: 2, 9: 2}) || !maps.Equal(st.Refused, map[uint64]int64{5: 1, 0: 1}) {
		t.Fatalf("state %+v", st)
	}
}

// A fenced write let through is applied before a later one is admitted:
// the second waits for the first's done.
func TestFenceSerialisesFencedWrites(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := NewFence()
		done5, err := f.Admit("5")
		if err != nil {
			t.Fatal(err)
		}
		admitted := make(chan error, 1)
		go func() {
			done, err := f.Admit("7")
			if err == nil {
				done(true)
			}
			admitted <- err
		}()
		synctest.Wait()
		select {
		case err := <-admitted:
			t.Fatalf("token 7 admitted while 5 was being applied: %v", err)
		default:
		}
		done5(true)
		if err := <-admitted; err != nil {
			t.Fatal(err)
		}
		if st := f.State(); !maps.Equal(st.Accepted, map[uint64]int64{5: 1, 7: 1}) {
			t.Fatalf("state %+v", st)
		}
	})
}
