package membership

import (
	"fmt"
	"log/slog"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hashicorp/memberlist"
)

// Strangers with ever new names cannot grow the refused list without
// bound, and a refusal is forgotten once it is old.
func TestRefusedIsBoundedAndExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := &Membership{name: "a", log: slog.New(slog.DiscardHandler), meta: Meta{Cluster: "ours", Protocol: Protocol},
			refused: map[string]refusal{}}
		d := &delegate{m: m}
		stranger := func(name string) *memberlist.Node {
			meta, err := (Meta{Cluster: "theirs", Protocol: Protocol}).encode()
			if err != nil {
				t.Fatal(err)
			}
			return &memberlist.Node{Name: name, Meta: meta}
		}
		for i := range 10 * maxRefused {
			if d.check(stranger(fmt.Sprintf("x-%d", i))) == nil {
				t.Fatal("a node of another cluster was let in")
			}
			time.Sleep(time.Millisecond)
		}
		got := m.Refused()
		if len(got) != maxRefused {
			t.Fatalf("refused list holds %d names after %d strangers, want %d", len(got), 10*maxRefused, maxRefused)
		}
		if _, ok := got[fmt.Sprintf("x-%d", 10*maxRefused-1)]; !ok {
			t.Fatal("the latest refusal was dropped instead of an old one")
		}
		time.Sleep(refusedTTL + time.Second)
		d.check(stranger("late"))
		if got := m.Refused(); len(got) != 1 {
			t.Fatalf("refusals older than %s are still listed: %d entries", refusedTTL, len(got))
		}
	})
}
