package cluster_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	raftwal "github.com/hashicorp/raft-wal"
	"github.com/hashicorp/raft-wal/metadb"
	"github.com/hashicorp/raft-wal/migrate"

	"github.com/marketsync/marketsync/daemon/cluster"
	"github.com/marketsync/marketsync/daemon/cluster/clustertest"
	"github.com/marketsync/marketsync/daemon/cluster/locks"
	"github.com/marketsync/marketsync/daemon/cluster/membership"
)

// startSolo starts a one-server cluster whose raft log lives in dir, on an
// in-memory gossip network and raft transport.
func startSolo(t testing.TB, dir string, gossip *clustertest.GossipNet, log *slog.Logger) *cluster.Node {
	t.Helper()
	_, rt := raft.NewInmemTransport("raft-solo")
	n, err := cluster.Start(cluster.Config{
		Gossip: membership.Config{NodeName: "solo", Meta: membership.Meta{Cluster: "test"}, Local: true, Transport: gossip.NewTransport()},
		Server: true, BootstrapExpect: 1, DataDir: dir, RaftTransport: rt,
		TuneRaft: tuneRaft, Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// restartSolo starts the solo server again on dir in a bubble, waits until
// it leads, and checks that the lock acquired before is held as it was and
// that a new grant's token exceeds it.
func restartSolo(t *testing.T, dir string, want locks.Lease, log *slog.Logger) {
	synctest.Test(t, func(t *testing.T) {
		t.Cleanup(func() { time.Sleep(time.Minute) })
		var gossip clustertest.GossipNet
		n := startSolo(t, dir, &gossip, log)
		defer n.Shutdown()
		clustertest.Eventually(t, 10*time.Second, "solo leads", n.LockServiceReady)
		got, ok := n.Locks().FSM().Get(want.Name)
		if !ok || got.Holder != want.Holder || got.Token != want.Token {
			t.Fatalf("after restart the lock is %+v (found %v), want holder %s token %d", got, ok, want.Holder, want.Token)
		}
		l2, err := n.Locks().Acquire(t.Context(), "other", want.Holder, time.Minute, false)
		if err != nil || l2.Token <= want.Token {
			t.Fatalf("a grant after restart: %+v, %v; its token must exceed %d", l2, err, want.Token)
		}
	})
}

// soloWithLock runs a solo server on dir in a bubble until it grants a
// lock, stops it without a goodbye and returns the lease.
func soloWithLock(t *testing.T, dir string) locks.Lease {
	var l locks.Lease
	synctest.Test(t, func(t *testing.T) {
		t.Cleanup(func() { time.Sleep(time.Minute) })
		var gossip clustertest.GossipNet
		n := startSolo(t, dir, &gossip, logger())
		clustertest.Eventually(t, 10*time.Second, "solo leads", n.LockServiceReady)
		var err error
		if l, err = n.Locks().Acquire(t.Context(), "account/taobao/main", "node-1", time.Hour, false); err != nil {
			t.Fatal(err)
		}
		if err := n.Shutdown(); err != nil {
			t.Fatal(err)
		}
	})
	return l
}

// A server's raft log lives in the write-ahead log under data_dir: after a
// stop without a goodbye and a restart on the same directory, the lock
// table is back, with the same holder and token, and the server does not
// bootstrap again.
func TestRaftLogSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	l := soloWithLock(t, dir)
	restartSolo(t, dir, l, logger())
}

const killChildEnv = "MARKETSYNC_TEST_RAFT_KILL_DIR"

// A lock the server granted survives kill -9 of its process: the grant
// returns only once the entry is fsynced in the write-ahead log, so a
// process killed right after it, with no chance to flush or close
// anything, comes back holding the lock. The server runs in a child
// process of this test binary.
func TestRaftLogSurvivesKill9(t *testing.T) {
	if dir := os.Getenv(killChildEnv); dir != "" {
		serveUntilKilled(t, dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRaftLogSurvivesKill9$", "-test.count=1")
	cmd.Env = append(os.Environ(), killChildEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe() // the child waits on it until killed
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var want locks.Lease
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "granted %s %s %d", &want.Name, &want.Holder, &want.Token); err == nil {
			break
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL, at once
		t.Fatal(err)
	}
	cmd.Wait()
	if want.Token == 0 {
		t.Fatalf("the child granted no lock; its stderr:\n%s", stderr.String())
	}
	if ok, _ := pathExists(filepath.Join(dir, "raft", "wal")); !ok {
		t.Fatal("the killed server kept no write-ahead log in data_dir/raft/wal")
	}
	restartSolo(t, dir, want, logger())
}

// serveUntilKilled is the child of TestRaftLogSurvivesKill9: it leads a
// solo cluster on real time, takes a lock, says so on stdout and waits.
func serveUntilKilled(t *testing.T, dir string) {
	var gossip clustertest.GossipNet
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	n := startSolo(t, dir, &gossip, log)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if _, err := n.WaitForLeader(ctx); err != nil {
		t.Fatal(err)
	}
	if err := n.Locks().WaitLeading(ctx); err != nil {
		t.Fatal(err)
	}
	l, err := n.Locks().Acquire(ctx, "account/taobao/main", "node-1", time.Hour, false)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("granted %s %s %d\n", l.Name, l.Holder, l.Token)
	io.Copy(io.Discard, os.Stdin) // until SIGKILL
}

// A data dir written by a version that kept raft's log in bbolt (raft.db,
// no wal) is migrated once at start: every entry and raft's term and vote
// are copied, raft.db becomes raft.db.migrated, and the lock it held is
// still held, with the same token.
func TestRaftLogMigratesFromBbolt(t *testing.T) {
	dir := t.TempDir()
	raftDir := filepath.Join(dir, "raft")
	l := soloWithLock(t, dir)
	// Turn the data dir into what the bbolt version left: the same
	// entries and stable keys in raft.db, and no wal.
	wantTerm, wantLast := boltFromWAL(t, raftDir)

	var logs bytes.Buffer
	restartSolo(t, dir, l, slog.New(slog.NewTextHandler(&logs, nil)))

	if ok, _ := pathExists(filepath.Join(raftDir, "raft.db")); ok {
		t.Error("raft.db is still in place after the migration")
	}
	if ok, _ := pathExists(filepath.Join(raftDir, "raft.db.migrated")); !ok {
		t.Error("raft.db was not kept as raft.db.migrated")
	}
	if !strings.Contains(logs.String(), "level=INFO msg=\"raft log migrated from bbolt to the write-ahead log\"") ||
		!strings.Contains(logs.String(), "last_index="+strconv.FormatUint(wantLast, 10)) {
		t.Errorf("no INFO line for the migration of entries up to %d in:\n%s", wantLast, logs.String())
	}
	w, _ := openWAL(t, filepath.Join(raftDir, "wal"))
	if term, err := w.GetUint64([]byte("CurrentTerm")); err != nil || term < wantTerm {
		t.Errorf("term after migration and restart %d, %v; bbolt had %d", term, err, wantTerm)
	}
	if last, err := w.LastIndex(); err != nil || last <= wantLast {
		t.Errorf("last index %d, %v: want above the migrated %d, as the restart granted a lock", last, err, wantLast)
	}
	for i := uint64(1); i <= wantLast; i++ {
		var e raft.Log
		if err := w.GetLog(i, &e); err != nil {
			t.Fatalf("entry %d of the bbolt log is missing: %v", i, err)
		}
	}
}

// A migration that stopped after the write-ahead log was moved into place
// but before raft.db was renamed is finished at the next start: the log is
// used and raft.db retired.
func TestRaftLogFinishesInterruptedMigration(t *testing.T) {
	dir := t.TempDir()
	raftDir := filepath.Join(dir, "raft")
	l := soloWithLock(t, dir)
	// A raft.db beside the wal: an empty bbolt store, which must not be
	// read, or the lock would be gone.
	b, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(raftDir, "raft.db")})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	restartSolo(t, dir, l, logger())
	if ok, _ := pathExists(filepath.Join(raftDir, "raft.db.migrated")); !ok {
		t.Error("raft.db was not retired")
	}
}

// boltFromWAL copies the write-ahead log in raftDir into a new raft.db, as
// the bbolt version would have written it, removes the wal and returns the
// term and last index.
func boltFromWAL(t *testing.T, raftDir string) (term, last uint64) {
	t.Helper()
	w, closeWAL := openWAL(t, filepath.Join(raftDir, "wal"))
	b, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(raftDir, "raft.db")})
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate.CopyLogs(t.Context(), b, w, 1<<20, nil); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"CurrentTerm", "LastVoteTerm"} {
		v, err := w.GetUint64([]byte(k))
		if err != nil || v == 0 {
			t.Fatalf("the wal has no %s: %v", k, err)
		}
		if err := b.SetUint64([]byte(k), v); err != nil {
			t.Fatal(err)
		}
	}
	cand, err := w.Get([]byte("LastVoteCand"))
	if err != nil || string(cand) != "raft-solo" {
		t.Fatalf("the wal's LastVoteCand is %q, %v", cand, err)
	}
	if err := b.Set([]byte("LastVoteCand"), cand); err != nil {
		t.Fatal(err)
	}
	term, _ = w.GetUint64([]byte("CurrentTerm"))
	last, _ = w.LastIndex()
	if err := errors.Join(closeWAL(), b.Close(), os.RemoveAll(filepath.Join(raftDir, "wal"))); err != nil {
		t.Fatal(err)
	}
	if term == 0 || last == 0 {
		t.Fatalf("nothing to migrate: term %d, last index %d", term, last)
	}
	return term, last
}

// openWAL opens a write-ahead log until the test ends; its meta database
// is closed by hand, as the log's Close leaves it open.
func openWAL(t *testing.T, dir string) (*raftwal.WAL, func() error) {
	t.Helper()
	meta := &metadb.BoltMetaDB{}
	w, err := raftwal.Open(dir, raftwal.WithMetaStore(meta))
	if err != nil {
		t.Fatal(err)
	}
	closeAll := func() error { return errors.Join(w.Close(), meta.Close()) }
	t.Cleanup(func() { closeAll() })
	return w, closeAll
}

func pathExists(p string) (bool, error) {
	_, err := os.Stat(p)
	return err == nil, err
}
