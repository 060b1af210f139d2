package store

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/dgraph-io/badger/v4/table"
	"github.com/dgraph-io/ristretto/v2/z"
)

// Badger's on-disk names and formats (v4) that checkFiles reads.
const (
	manifestName   = "MANIFEST"
	tableExt       = ".sst"
	vlogExt        = ".vlog"
	vlogHeaderSize = 20      // key id and IV before the first entry
	maxKeySize     = 1 << 16 // Badger refuses longer keys
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// checkFiles looks at a data directory before Badger opens it and returns
// what is wrong with it, one sentence per problem: unreadable holds what
// Badger cannot open at all (a MANIFEST that does not replay, a table
// that is missing or fails its checks), problems the rest. Badger itself repairs
// what it can explain as a crash, destructively: it deletes table files
// that its MANIFEST does not list (all of them, when the MANIFEST was cut
// short) and truncates the newest value-log file at its first bad entry;
// it panics in a background goroutine on a table cut short. checkFiles
// finds those cases first, without mapping anything for longer than the
// check:
//
//   - after a clean stop (m.Files), every file must be there with the size
//     it had, and no other;
//   - the MANIFEST must replay, list only tables that exist, and leave no
//     more tables unlisted than it lists (a crash during a flush or a
//     compaction leaves a few, which Badger may delete safely);
//   - every listed table must open and match its checksums;
//   - every value-log entry must match its checksum, except a torn tail
//     of the newest file after a crash, which Badger cuts off.
func checkFiles(dir string, m *marker, log badger.Logger) (problems, unreadable []string, err error) {
	sizes, err := dataFiles(dir)
	if err != nil {
		return nil, nil, err
	}
	clean := m != nil && m.State == stateStopped
	if clean && m.Files != nil {
		problems = append(problems, compareSizes(m.Files, sizes)...)
	}

	var tables, vlogs []string
	for name := range sizes {
		switch filepath.Ext(name) {
		case tableExt:
			tables = append(tables, name)
		case vlogExt:
			vlogs = append(vlogs, name)
		}
	}
	if _, ok := sizes[manifestName]; !ok {
		if len(tables) > 0 {
			unreadable = append(unreadable, fmt.Sprintf("MANIFEST is missing next to %d table files", len(tables)))
		}
		return problems, unreadable, nil
	}

	listed, p := checkManifest(dir, sizes[manifestName], clean, log)
	if listed == nil {
		return problems, append(unreadable, p...), nil
	}
	problems = append(problems, p...)
	var orphans int
	for _, name := range tables {
		if _, ok := listed[name]; !ok {
			orphans++
		}
	}
	if orphans > 0 && (clean || orphans > len(listed)) {
		problems = append(problems, fmt.Sprintf("%d of %d table files are not listed in the MANIFEST (Badger would delete them)", orphans, len(tables)))
	}
	for _, name := range slices.Sorted(maps.Keys(listed)) {
		if _, ok := sizes[name]; !ok {
			unreadable = append(unreadable, fmt.Sprintf("table %s, listed in the MANIFEST, is missing", name))
			continue
		}
		if err := verifyTable(filepath.Join(dir, name), listed[name]); err != nil {
			unreadable = append(unreadable, fmt.Sprintf("table %s: %v", name, err))
		}
	}

	slices.SortFunc(vlogs, cmpFileID)
	for i, name := range vlogs {
		// The newest file is the one a crash can leave torn.
		strict := clean || i < len(vlogs)-1
		if err := verifyValueLog(filepath.Join(dir, name), strict); err != nil {
			problems = append(problems, fmt.Sprintf("value log %s: %v", name, err))
		}
	}
	return problems, unreadable, nil
}

// dataFiles returns the size of each of Badger's MANIFEST, table and
// value-log files in dir, by name.
func dataFiles(dir string) (map[string]int64, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]int64{}, nil
	}
	if err != nil {
		return nil, err
	}
	sizes := map[string]int64{}
	for _, e := range entries {
		name := e.Name()
		if name != manifestName && !strings.HasSuffix(name, tableExt) && !strings.HasSuffix(name, vlogExt) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, err
		}
		sizes[name] = info.Size()
	}
	return sizes, nil
}

// compareSizes reports the files that differ from a clean stop's list.
func compareSizes(want, got map[string]int64) []string {
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(want)) {
		switch size, ok := got[name]; {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s is missing", name))
		case size != want[name]:
			problems = append(problems, fmt.Sprintf("%s is %d bytes, was %d at the last clean stop", name, size, want[name]))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[name]; !ok {
			problems = append(problems, fmt.Sprintf("%s appeared since the last clean stop", name))
		}
	}
	return problems
}

// checkManifest replays the MANIFEST and returns the tables it lists (file
// name to compression). A MANIFEST that ends in a partial record is a crash
// while appending to it, unless the database stopped cleanly.
func checkManifest(dir string, size int64, clean bool, log badger.Logger) (map[string]options.CompressionType, []string) {
	f, err := os.Open(filepath.Join(dir, manifestName))
	if err != nil {
		return nil, []string{fmt.Sprintf("MANIFEST: %v", err)}
	}
	defer f.Close()
	mf, end, err := badger.ReplayManifestFile(f, 0, badger.DefaultOptions(dir).WithLogger(log))
	if err != nil {
		return nil, []string{fmt.Sprintf("MANIFEST does not replay: %v", err)}
	}
	var problems []string
	if end < size && clean {
		problems = append(problems, fmt.Sprintf("MANIFEST ends in a partial record at byte %d of %d", end, size))
	}
	listed := make(map[string]options.CompressionType, len(mf.Tables))
	for id, t := range mf.Tables {
		listed[table.IDToFilename(id)] = t.Compression
	}
	return listed, problems
}

// verifyTable opens a table file as Badger does, checks every block
// against its checksum and unmaps it. A table cut short makes Badger's
// index reader panic: here the panic is an error.
func verifyTable(path string, compression options.CompressionType) (err error) {
	mf, err := z.OpenMmapFile(path, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	// OpenTable unmaps the file on some of its errors and not on others.
	release := func() {
		if _, serr := mf.Fd.Stat(); serr == nil {
			_ = mf.Close(-1)
		}
	}
	defer func() {
		if r := recover(); r != nil {
			release()
			// Badger's panic text is a multi-line dump of the table.
			err = fmt.Errorf("unreadable, cut short or corrupt (%.120s)", strings.Join(strings.Fields(fmt.Sprint(r)), " "))
		}
	}()
	t, err := table.OpenTable(mf, table.Options{
		ChkMode:     options.OnTableRead,
		Compression: compression,
		BlockSize:   4 << 10,
	})
	if err != nil {
		release()
		return err
	}
	// Not t.DecrRef: dropping the last reference deletes the file.
	return t.MmapFile.Close(-1)
}

// verifyValueLog reads a value-log file through, checking every entry's
// checksum. strict is false for the newest file after a crash, whose tail
// may be torn: the check then stops at the first bad entry, where Badger
// truncates the file.
func verifyValueLog(path string, strict bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	size := info.Size()
	if size < vlogHeaderSize {
		return fmt.Errorf("%d bytes, shorter than its header", size)
	}
	// The header is the encryption key's id, 0 without encryption (which
	// the daemon never turns on), and an IV, random: only the id can be
	// checked.
	var header [vlogHeaderSize]byte
	if _, err := io.ReadFull(f, header[:]); err != nil {
		return err
	}
	if id := binary.BigEndian.Uint64(header[:8]); id != 0 {
		return fmt.Errorf("header names encryption key %d: damaged", id)
	}
	r := &entryReader{r: bufio.NewReaderSize(f, 256<<10), crc: crc32.New(castagnoli)}
	offset := int64(vlogHeaderSize)
	for offset < size {
		n, zero, err := r.next(size - offset)
		switch {
		case err != nil && !strict:
			return nil
		case err != nil:
			return fmt.Errorf("entry at byte %d of %d: %w", offset, size, err)
		case zero:
			// Zeros after the last entry: a file Badger had not yet
			// truncated. Anything else after them is damage.
			if strict && !r.restIsZero() {
				return fmt.Errorf("data after an empty entry at byte %d", offset)
			}
			return nil
		}
		offset += n
	}
	return nil
}

// entryReader reads value-log entries: a header (meta and user-meta
// bytes, then key length, value length and expiry as uvarints), the key,
// the value, and the CRC-32C of all of it, big-endian.
type entryReader struct {
	r   *bufio.Reader
	crc hash.Hash32
	n   int64
}

var errEntryChecksum = errors.New("checksum mismatch")

// next reads one entry of at most limit bytes and returns its length, or
// zero when it is an all-zero header.
func (e *entryReader) next(limit int64) (n int64, zero bool, err error) {
	e.crc.Reset()
	e.n = 0
	meta, err := e.ReadByte()
	if err != nil {
		return 0, false, truncated(err)
	}
	userMeta, err := e.ReadByte()
	if err != nil {
		return 0, false, truncated(err)
	}
	var lens [3]uint64
	for i := range lens {
		if lens[i], err = binary.ReadUvarint(e); err != nil {
			return 0, false, truncated(err)
		}
	}
	klen, vlen, expires := lens[0], lens[1], lens[2]
	if meta == 0 && userMeta == 0 && klen == 0 && vlen == 0 && expires == 0 {
		return e.n, true, nil
	}
	if klen > maxKeySize || int64(klen+vlen)+e.n+crc32.Size > limit {
		return 0, false, fmt.Errorf("lengths %d+%d run past the end of the file (truncated or corrupt)", klen, vlen)
	}
	if _, err := io.CopyN(e.crc, e.r, int64(klen+vlen)); err != nil {
		return 0, false, truncated(err)
	}
	var sum [crc32.Size]byte
	if _, err := io.ReadFull(e.r, sum[:]); err != nil {
		return 0, false, truncated(err)
	}
	if binary.BigEndian.Uint32(sum[:]) != e.crc.Sum32() {
		return 0, false, errEntryChecksum
	}
	return e.n + int64(klen+vlen) + crc32.Size, false, nil
}

// ReadByte reads a header byte, adding it to the checksum.
func (e *entryReader) ReadByte() (byte, error) {
	b, err := e.r.ReadByte()
	if err == nil {
		e.crc.Write([]byte{b})
		e.n++
	}
	return b, err
}

func (e *entryReader) restIsZero() bool {
	buf := make([]byte, 32<<10)
	for {
		n, err := e.r.Read(buf)
		for _, b := range buf[:n] {
			if b != 0 {
				return false
			}
		}
		if err != nil {
			return true
		}
	}
}

func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("the file ends inside it (truncated)")
	}
	return err
}

// cmpFileID orders Badger's numbered files ("000012.vlog") by number.
func cmpFileID(a, b string) int {
	ia, _ := strconv.ParseUint(strings.TrimSuffix(a, filepath.Ext(a)), 10, 64)
	ib, _ := strconv.ParseUint(strings.TrimSuffix(b, filepath.Ext(b)), 10, 64)
	return cmp.Compare(ia, ib)
}
