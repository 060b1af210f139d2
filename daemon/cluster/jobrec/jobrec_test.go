package jobrec

import (
	"fmt"
	"testing"
)

func item(i int32, state int32) Item { return Item{Index: i, State: state, Data: []byte{byte(i)}} }

// A job's items are counted once however often they are checkpointed; a
// write with an older token, or the same token from another node, is
// refused; a claim with a newer token moves the job and the old owner's
// writes are refused from then on.
func TestTableFencesAndCounts(t *testing.T) {
	tab := Table{Jobs: map[string]*Record{}}
	if r := tab.Apply(1, Command{Op: OpCreate, ID: "j", Platform: "tb", Owner: "a", Token: 10, Request: []string{"1", "2", "3"}}); r.Outcome != Applied {
		t.Fatalf("create: %v", r.Outcome)
	}
	if r := tab.Apply(2, Command{Op: OpCreate, ID: "j", Owner: "b", Token: 11}); r.Outcome != Exists || r.Record.Owner != "a" {
		t.Fatalf("second create: %+v", r)
	}
	r := tab.Apply(3, Command{Op: OpCheckpoint, ID: "j", Owner: "a", Token: 10, Items: []Item{item(0, ItemSucceeded), item(1, ItemPending)}})
	if r.Outcome != Applied || r.Record.Succeeded != 1 || r.Record.Failed != 0 {
		t.Fatalf("checkpoint: %+v", r)
	}
	r = tab.Apply(4, Command{Op: OpCheckpoint, ID: "j", Owner: "a", Token: 10, Items: []Item{item(0, ItemSucceeded), item(1, ItemFailed)}})
	if r.Record.Succeeded != 1 || r.Record.Failed != 1 || r.Record.Done() != 2 {
		t.Fatalf("item checkpointed twice counts once: %+v", r.Record)
	}
	if r := tab.Apply(5, Command{Op: OpCheckpoint, ID: "j", Owner: "b", Token: 10}); r.Outcome != Stale {
		t.Fatalf("same token, another owner: %v", r.Outcome)
	}
	if r := tab.Apply(6, Command{Op: OpCheckpoint, ID: "j", Owner: "a", Token: 9}); r.Outcome != Stale {
		t.Fatalf("older token: %v", r.Outcome)
	}
	r = tab.Apply(7, Command{Op: OpClaim, ID: "j", Owner: "b", Token: 20})
	if r.Outcome != Applied || r.Record.Owner != "b" || r.Record.Token != 20 || len(r.Record.Items) != 2 {
		t.Fatalf("claim: %+v", r)
	}
	if r := tab.Apply(8, Command{Op: OpCheckpoint, ID: "j", Owner: "a", Token: 10, Items: []Item{item(2, ItemSucceeded)}}); r.Outcome != Stale {
		t.Fatalf("the old owner's checkpoint after the claim: %v", r.Outcome)
	}
	r = tab.Apply(9, Command{Op: OpCheckpoint, ID: "j", Owner: "b", Token: 20, Items: []Item{item(2, ItemSucceeded)}, Final: true})
	if r.Outcome != Applied || !r.Record.Final || r.Record.Done() != 3 {
		t.Fatalf("the new owner's last checkpoint: %+v", r)
	}
	if r := tab.Apply(10, Command{Op: OpCheckpoint, ID: "nope", Owner: "a", Token: 1}); r.Outcome != Unknown {
		t.Fatalf("unknown job: %v", r.Outcome)
	}
}

// Listing pages append to the request.
func TestCheckpointAppendsListedIDs(t *testing.T) {
	tab := Table{Jobs: map[string]*Record{}}
	tab.Apply(1, Command{Op: OpCreate, ID: "j", Platform: "tb", Owner: "a", Token: 1})
	tab.Apply(2, Command{Op: OpCheckpoint, ID: "j", Owner: "a", Token: 1, Request: []string{"1", "2"}})
	r := tab.Apply(3, Command{Op: OpCheckpoint, ID: "j", Owner: "a", Token: 1, Request: []string{"3"}, From: 2})
	if got := fmt.Sprint(r.Record.Request); got != "[1 2 3]" {
		t.Fatalf("request after two pages: %s", got)
	}
}

// The table keeps the newest MaxFinished finished jobs and every
// unfinished one.
func TestTableKeepsBoundedFinishedJobs(t *testing.T) {
	tab := Table{Jobs: map[string]*Record{}}
	tab.Apply(1, Command{Op: OpCreate, ID: "running", Platform: "tb", Owner: "a", Token: 1})
	for i := range MaxFinished + 5 {
		tab.Apply(uint64(i+2), Command{Op: OpCreate, ID: fmt.Sprintf("done-%04d", i), Platform: "tb", Owner: "a", Token: 1, Final: true})
	}
	if len(tab.Jobs) != MaxFinished+1 {
		t.Fatalf("%d jobs kept, want %d", len(tab.Jobs), MaxFinished+1)
	}
	if tab.Jobs["running"] == nil || tab.Jobs["done-0004"] != nil || tab.Jobs["done-0005"] == nil {
		t.Fatal("pruned the wrong jobs")
	}
}

// The FSM's state round-trips, and an entry without the tag is an error,
// not a panic.
func TestFSMStateRoundTrip(t *testing.T) {
	f := NewFSM()
	b, _ := Encode(Command{Op: OpCreate, ID: "j", Platform: "tb", Owner: "a", Token: 1, Request: []string{"1"}})
	if _, ok := f.Apply(5, b).(Result); !ok {
		t.Fatal("create not applied")
	}
	if _, ok := f.Apply(6, []byte(`{"op":"acquire"}`)).(error); !ok {
		t.Fatal("an untagged entry must be an error")
	}
	g := restored(t, f)
	if r, ok := g.Get("j"); !ok || r.Index != 5 || len(g.Unfinished("tb")) != 1 || len(g.Unfinished("other")) != 0 {
		t.Fatalf("restored: %+v %v", r, ok)
	}
	if err := g.Load(nil); err != nil || len(g.Unfinished("tb")) != 0 {
		t.Fatalf("empty state: %v", err)
	}
}

// A listing page committed twice (a retry after a leader change left the
// first commit's outcome unknown) adds its ids once; a page that does not
// follow the record's last entry is refused; an unknown command changes
// nothing, not even the owner's token.
func TestListedPagesAddOnce(t *testing.T) {
	tab := Table{Jobs: map[string]*Record{}}
	tab.Apply(1, Command{Op: OpCreate, ID: "j", Platform: "tb", Owner: "a", Token: 10})
	page := Command{Op: OpCheckpoint, ID: "j", Owner: "a", Token: 10, Request: []string{"x", "y"}, From: 0}
	tab.Apply(2, page)
	if r := tab.Apply(3, page); r.Outcome != Applied || fmt.Sprint(r.Record.Request) != "[x y]" {
		t.Fatalf("the same page again: %+v", r)
	}
	if r := tab.Apply(4, Command{Op: OpCheckpoint, ID: "j", Owner: "a", Token: 10, Request: []string{"z"}, From: 2}); fmt.Sprint(r.Record.Request) != "[x y z]" {
		t.Fatalf("the next page: %+v", r)
	}
	if r := tab.Apply(5, Command{Op: OpCheckpoint, ID: "j", Owner: "a", Token: 10, Request: []string{"w"}, From: 5}); r.Outcome != Unknown || len(r.Record.Request) != 3 {
		t.Fatalf("a page after a gap: %+v", r)
	}
	if r := tab.Apply(6, Command{Op: "bogus", ID: "j", Owner: "a", Token: 99}); r.Outcome != Unknown || tab.Jobs["j"].Token != 10 {
		t.Fatalf("an unknown command: %+v, token now %d", r, tab.Jobs["j"].Token)
	}
}

// A sync run's record keeps its kind, and each written item the store's
// ids, through a claim and a snapshot.
func TestSyncRunRecordKeepsKindAndRemoteIDs(t *testing.T) {
	f := NewFSM()
	apply := func(index uint64, cmd Command) Result {
		t.Helper()
		b, err := Encode(cmd)
		if err != nil {
			t.Fatal(err)
		}
		res, ok := f.Apply(index, b).(Result)
		if !ok || res.Outcome != Applied {
			t.Fatalf("%s: %+v", cmd.Op, res)
		}
		return res
	}
	apply(1, Command{Op: OpCreate, ID: "s", Kind: KindSync, Platform: "shop", Owner: "a", Token: 3, Request: []string{"p1", "p2"}})
	written := Item{Index: 0, State: ItemSucceeded, Data: []byte{1}, Remote: "gid://shopify/Product/7", Variants: map[string]string{"sku-1": "sku-1"}}
	apply(2, Command{Op: OpCheckpoint, ID: "s", Platform: "shop", Owner: "a", Token: 3, Items: []Item{written}})
	res := apply(3, Command{Op: OpClaim, ID: "s", Platform: "shop", Owner: "b", Token: 5})
	if res.Record.Kind != KindSync || res.Record.Items[0].Remote != written.Remote || res.Record.Items[0].Variants["sku-1"] != "sku-1" {
		t.Fatalf("claimed record: %+v", res.Record)
	}
	g := restored(t, f)
	recs := g.Unfinished("shop")
	if len(recs) != 1 || recs[0].Kind != KindSync || recs[0].Items[0].Remote != written.Remote || recs[0].Owner != "b" {
		t.Fatalf("restored: %+v", recs)
	}
	// A record written before there were kinds is a collect job's.
	g.Apply(4, mustEncode(t, Command{Op: OpCreate, ID: "c", Platform: "shop", Owner: "b", Token: 5}))
	if r, _ := g.Get("c"); r.Kind != "" {
		t.Fatalf("collect record kind %q", r.Kind)
	}
}

func mustEncode(t *testing.T, cmd Command) []byte {
	t.Helper()
	b, err := Encode(cmd)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// restored is a new FSM loaded from f's state, as from a raft snapshot.
func restored(t *testing.T, f *FSM) *FSM {
	t.Helper()
	st, err := f.State()
	if err != nil {
		t.Fatal(err)
	}
	g := NewFSM()
	if err := g.Load(st); err != nil {
		t.Fatal(err)
	}
	return g
}

// Summaries list the records of a platform, or of all, newest id first,
// with their counters, owner and the request's length but not the
// request itself.
func TestSummariesNewestFirst(t *testing.T) {
	f := NewFSM()
	for i, c := range []Command{
		{Op: OpCreate, ID: "01A", Platform: "tb", Owner: "a", Token: 1, Request: []string{"1", "2"}, Job: []byte("ja")},
		{Op: OpCreate, ID: "01C", Kind: KindSync, Platform: "shop", Owner: "b", Token: 2, Request: []string{"9"}},
		{Op: OpCreate, ID: "01B", Platform: "tb", Owner: "c", Token: 3, Request: []string{"3"}},
		{Op: OpCheckpoint, ID: "01A", Owner: "a", Token: 1, Items: []Item{item(0, ItemSucceeded), item(1, ItemFailed)}, Final: true},
	} {
		if r, ok := f.Apply(uint64(i+1), mustEncode(t, c)).(Result); !ok || r.Outcome != Applied {
			t.Fatalf("command %d: %+v", i, r)
		}
	}
	var ids []string
	for _, s := range f.Summaries("") {
		ids = append(ids, s.ID)
	}
	if fmt.Sprint(ids) != "[01C 01B 01A]" {
		t.Fatalf("every platform: %v", ids)
	}
	tb := f.Summaries("tb")
	want := Summary{ID: "01A", Platform: "tb", Owner: "a", Job: []byte("ja"), Total: 2, Succeeded: 1, Failed: 1, Final: true}
	if len(tb) != 2 || tb[0].ID != "01B" || fmt.Sprint(tb[1]) != fmt.Sprint(want) {
		t.Fatalf("platform tb: %+v", tb)
	}
	if s := f.Summaries("shop"); len(s) != 1 || s[0].Kind != KindSync || s[0].Owner != "b" {
		t.Fatalf("platform shop: %+v", s)
	}
}
