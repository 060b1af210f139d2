package store

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// trimMappings asks the kernel to reclaim the resident pages of every
// mapping of Badger's files in dir (value logs, tables, memtable logs)
// with madvise(MADV_PAGEOUT), and returns how many bytes of mappings it
// covered. Badger v4 reads and writes those files through shared mappings
// that stay resident once touched, so without this the daemon's resident
// set grows with the data written and read (about the size of the value
// log after a full collection), although the kernel could drop those
// pages any time. MADV_PAGEOUT only hints: it never changes memory
// contents, whatever mapping it lands on, so a file Badger unmaps between
// reading /proc/self/maps and the call is harmless. Kernels before 5.4
// answer EINVAL, reported as errTrimUnsupported.
func trimMappings(dir string) (int64, error) {
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return 0, err
	}
	prefix := []byte(filepath.Clean(dir) + "/")
	var covered int64
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		// "start-end perms offset dev inode path"
		fields := bytes.Fields(sc.Bytes())
		if len(fields) < 6 || !bytes.HasPrefix(fields[5], prefix) || !badgerFile(fields[5]) {
			continue
		}
		lo, hi, ok := bytes.Cut(fields[0], []byte("-"))
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(string(lo), 16, 64)
		end, err2 := strconv.ParseUint(string(hi), 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		if filepath.Ext(string(fields[5])) == vlogExt {
			// Values are read one at a time, wherever their key points:
			// without this each read faults in the kernel's readahead
			// window (128 KB) around a value of a few hundred bytes.
			_, _, _ = unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_RANDOM)
		}
		_, _, errno := unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_PAGEOUT)
		switch errno {
		case 0:
			covered += int64(end - start)
		case unix.EINVAL:
			return covered, errTrimUnsupported
		}
		// ENOMEM: unmapped meanwhile.
	}
	return covered, nil
}

var errTrimUnsupported = errors.New("store: madvise(MADV_PAGEOUT) is not supported by this kernel")

func badgerFile(path []byte) bool {
	switch filepath.Ext(string(path)) {
	case vlogExt, tableExt, ".mem":
		return true
	}
	return false
}
