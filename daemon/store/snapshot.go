package store

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// A snapshot file is a fixed header of snapshotHeaderSize bytes, then
// Badger's backup stream (DB.Backup: every live key with its latest
// value and version, as length-prefixed protobuf lists). The header is
// snapshotMagic, the length of a JSON SnapshotHeader as 4 bytes
// big-endian, the JSON, and zeros.
const (
	snapshotMagic      = "MSYNCSNP"
	snapshotHeaderSize = 4096
	snapshotFormat     = 1
	// loadPendingWrites bounds the batches Badger's Load keeps in flight.
	loadPendingWrites = 16
)

var (
	// ErrSnapshotCorrupt is returned for a snapshot file whose header
	// cannot be read or whose stream does not match its size and
	// checksum.
	ErrSnapshotCorrupt = errors.New("store: snapshot file is corrupt")
	// ErrLocked is returned by RestoreSnapshot while a process (an
	// agent) holds the data directory.
	ErrLocked = errors.New("store: the data directory is in use (is the agent running?)")
)

// SnapshotHeader describes a snapshot file.
type SnapshotHeader struct {
	Format int `json:"format"`
	// Version is the marketsync build that wrote it.
	Version   string    `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	// Counts is the number of keys per namespace in the snapshot.
	Counts map[string]int64 `json:"counts"`
	// Size and SHA256 are those of the backup stream after the header.
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// SaveSnapshot writes a snapshot of the database to path, atomically: a
// temporary file renamed into place once complete and synced. Writes wait
// until it is done, so the counts in its header are those of its stream.
func (db *DB) SaveSnapshot(path, version string) (*SnapshotHeader, error) {
	db.writes.Lock()
	defer db.writes.Unlock()
	counts, err := db.Counts()
	if err != nil {
		return nil, err
	}
	var hdr *SnapshotHeader
	err = replaceFile(path, func(f *os.File) (err error) {
		hdr, err = writeSnapshot(f, func(w io.Writer) error {
			_, err := db.bdb.Backup(w, 0)
			return err
		})
		if err != nil {
			return err
		}
		hdr.Version, hdr.Counts = version, counts
		return writeSnapshotHeader(f, hdr)
	})
	if err != nil {
		return nil, fmt.Errorf("store: save snapshot: %w", err)
	}
	return hdr, nil
}

// writeSnapshot leaves room for the header in f, then writes the stream
// and returns its size and checksum.
func writeSnapshot(f *os.File, stream func(io.Writer) error) (*SnapshotHeader, error) {
	if _, err := f.Seek(snapshotHeaderSize, io.SeekStart); err != nil {
		return nil, err
	}
	h := sha256.New()
	cw := &countingWriter{w: io.MultiWriter(f, h)}
	bw := bufio.NewWriterSize(cw, 1<<20)
	if err := stream(bw); err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	return &SnapshotHeader{
		Format:    snapshotFormat,
		CreatedAt: time.Now().UTC(),
		Size:      cw.n,
		SHA256:    hex.EncodeToString(h.Sum(nil)),
	}, nil
}

func writeSnapshotHeader(f *os.File, hdr *SnapshotHeader) error {
	js, err := json.Marshal(hdr)
	if err != nil {
		return err
	}
	buf := make([]byte, snapshotHeaderSize)
	n := copy(buf, snapshotMagic)
	binary.BigEndian.PutUint32(buf[n:], uint32(len(js)))
	if copy(buf[n+4:], js) < len(js) {
		return errors.New("snapshot header too long")
	}
	_, err = f.WriteAt(buf, 0)
	return err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// InspectSnapshot reads a snapshot's header and checks its stream against
// the size and checksum there; it fails with ErrSnapshotCorrupt when they
// differ.
func InspectSnapshot(path string) (*SnapshotHeader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	hdr, err := readSnapshotHeader(f)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	n, err := io.Copy(h, io.NewSectionReader(f, snapshotHeaderSize, 1<<62))
	if err != nil {
		return nil, err
	}
	if n != hdr.Size || hex.EncodeToString(h.Sum(nil)) != hdr.SHA256 {
		return hdr, fmt.Errorf("%w: %s holds %d bytes with SHA-256 %x; its header says %d bytes with %s",
			ErrSnapshotCorrupt, path, n, h.Sum(nil), hdr.Size, hdr.SHA256)
	}
	return hdr, nil
}

func readSnapshotHeader(f io.ReaderAt) (*SnapshotHeader, error) {
	buf := make([]byte, snapshotHeaderSize)
	if _, err := f.ReadAt(buf, 0); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrSnapshotCorrupt, err)
	}
	if string(buf[:len(snapshotMagic)]) != snapshotMagic {
		return nil, fmt.Errorf("%w: not a marketsync snapshot", ErrSnapshotCorrupt)
	}
	n := int(binary.BigEndian.Uint32(buf[len(snapshotMagic):]))
	js := buf[len(snapshotMagic)+4:]
	if n > len(js) {
		return nil, fmt.Errorf("%w: header length %d", ErrSnapshotCorrupt, n)
	}
	var hdr SnapshotHeader
	if err := json.Unmarshal(js[:n], &hdr); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrSnapshotCorrupt, err)
	}
	if hdr.Format != snapshotFormat {
		return nil, fmt.Errorf("store: snapshot format %d, this build reads %d", hdr.Format, snapshotFormat)
	}
	return &hdr, nil
}

// RestoreSnapshot replaces the database in dir with the snapshot at path.
// It checks the snapshot first, loads it into a new directory next to dir
// and compares the counts with its header; only then does it move dir
// aside (to dir.replaced-<time>, kept for the operator to delete) and the
// new one into place. It fails with ErrLocked while a process holds dir.
// log, when not nil, receives Badger's lines and where dir was moved.
func RestoreSnapshot(path, dir string, log *slog.Logger) (*SnapshotHeader, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hdr, err := InspectSnapshot(path)
	if err != nil {
		return nil, err
	}
	unlock, err := lockDir(dir, false)
	if err != nil {
		return nil, err
	}
	defer unlock()

	tmp := filepath.Clean(dir) + ".restoring"
	if err := os.RemoveAll(tmp); err != nil {
		return nil, err
	}
	if err := loadSnapshot(path, tmp, hdr, log); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	if _, err := os.Stat(dir); err == nil {
		aside := fmt.Sprintf("%s.replaced-%s", filepath.Clean(dir), time.Now().UTC().Format("20060102T150405Z"))
		if err := os.Rename(dir, aside); err != nil {
			return nil, err
		}
		log.Info("moved the replaced database aside", "dir", aside)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return nil, err
	}
	return hdr, syncDir(filepath.Dir(filepath.Clean(dir)))
}

// loadSnapshot loads the snapshot's stream into a new database in dir and
// checks that it holds what the header says.
func loadSnapshot(path, dir string, hdr *SnapshotHeader, log *slog.Logger) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	db, err := Open(Options{Dir: dir, Logger: log, GCInterval: -1, MarkerInterval: -1})
	if err != nil {
		return err
	}
	defer db.Close()
	r := bufio.NewReaderSize(io.NewSectionReader(f, snapshotHeaderSize, hdr.Size), 1<<20)
	if err := db.bdb.Load(r, loadPendingWrites); err != nil {
		return fmt.Errorf("store: load snapshot: %w", err)
	}
	counts, err := db.Counts()
	if err != nil {
		return err
	}
	if !maps.Equal(counts, hdr.Counts) {
		return fmt.Errorf("%w: loaded %v, its header says %v", ErrSnapshotCorrupt, counts, hdr.Counts)
	}
	return db.Close()
}

// lockDir takes the lock Badger takes on a data directory (a flock of the
// directory itself: exclusive, or shared as a read-only open takes it), so
// that an agent cannot open it meanwhile, and fails with ErrLocked when a
// process holds it. A directory that does not exist needs no lock.
func lockDir(dir string, shared bool) (unlock func(), err error) {
	f, err := os.Open(dir)
	if errors.Is(err, os.ErrNotExist) {
		return func() {}, nil
	}
	if err != nil {
		return nil, err
	}
	how := unix.LOCK_EX
	if shared {
		how = unix.LOCK_SH
	}
	if err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, dir)
		}
		return nil, err
	}
	return func() { f.Close() }, nil
}

// OpenSnapshot saves a snapshot into a private temporary directory (under
// TMPDIR) and returns it open at its start, with its size. The file is
// unlinked at once, so nothing is left behind however the caller's use of
// it ends, and it never sits in the data directory, whose files the start
// check accounts for. The agent serves snapshots this way while it runs.
func (db *DB) OpenSnapshot(version string) (*os.File, int64, error) {
	dir, err := os.MkdirTemp("", "marketsync-snapshot-")
	if err != nil {
		return nil, 0, fmt.Errorf("store: save snapshot: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "state.snap")
	if _, err := db.SaveSnapshot(path, version); err != nil {
		return nil, 0, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}
