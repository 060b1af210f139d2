package cluster

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// openRaftLog migrates a bbolt raft.db exactly: every entry from the
// first, which need not be 1 after a snapshot compacted the log, to the
// last, and the stable keys with their int values intact although bbolt
// and the wal encode ints differently.
func TestOpenRaftLogMigratesEveryEntryAndKey(t *testing.T) {
	dir := t.TempDir()
	b, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, boltFileName)})
	if err != nil {
		t.Fatal(err)
	}
	var want []*raft.Log
	for i := uint64(5); i <= 9; i++ {
		want = append(want, &raft.Log{Index: i, Term: 3 + i/8, Type: raft.LogCommand, Data: []byte{byte(i), 'x'}, Extensions: []byte("ext")})
	}
	if err := b.StoreLogs(want); err != nil {
		t.Fatal(err)
	}
	must(t, b.SetUint64([]byte("CurrentTerm"), 7))
	must(t, b.SetUint64([]byte("LastVoteTerm"), 6))
	must(t, b.Set([]byte("LastVoteCand"), []byte("node-b")))
	must(t, b.Close())

	w, err := openRaftLog(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	first, _ := w.FirstIndex()
	last, _ := w.LastIndex()
	if first != 5 || last != 9 {
		t.Fatalf("migrated log holds %d..%d, want 5..9", first, last)
	}
	for _, e := range want {
		var got raft.Log
		if err := w.GetLog(e.Index, &got); err != nil {
			t.Fatal(err)
		}
		if got.Term != e.Term || got.Type != e.Type || !bytes.Equal(got.Data, e.Data) || !bytes.Equal(got.Extensions, e.Extensions) {
			t.Errorf("entry %d: %+v, want %+v", e.Index, got, e)
		}
	}
	for k, v := range map[string]uint64{"CurrentTerm": 7, "LastVoteTerm": 6} {
		if got, err := w.GetUint64([]byte(k)); err != nil || got != v {
			t.Errorf("%s = %d, %v; want %d", k, got, err, v)
		}
	}
	if got, err := w.Get([]byte("LastVoteCand")); err != nil || string(got) != "node-b" {
		t.Errorf("LastVoteCand = %q, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(dir, boltFileName+migratedSuffix)); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(dir, walDirName+migratingSuffix)); !os.IsNotExist(err) {
		t.Errorf("the staging directory is left behind: %v", err)
	}
}

// A raft.db of a server that was never bootstrapped (no entries, no vote)
// migrates to an empty log that raft sees as no existing state.
func TestOpenRaftLogMigratesEmptyBolt(t *testing.T) {
	dir := t.TempDir()
	b, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, boltFileName)})
	if err != nil {
		t.Fatal(err)
	}
	must(t, b.Close())
	w, err := openRaftLog(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	has, err := raft.HasExistingState(w, w, raft.NewInmemSnapshotStore())
	if err != nil || has {
		t.Fatalf("an empty raft.db migrated to existing state %v, %v", has, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
