package store_test

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/marketsync/marketsync/daemon/store"
)

// BenchmarkFootprint writes and reads back a catalogue-sized load (20,000
// values of 3 KB next to 20,000 of 80 bytes, in transactions of 50 of
// each, like job checkpoints) and reports the memory it took: the Go heap
// in use after a GC; the process's anonymous resident memory before
// opening the database and after the load (heap, arenas, stacks); its
// file-backed resident pages (mapped tables, WAL and value log, which the
// kernel can drop); and its peak resident set. Resident-set figures are
// for the whole process, so run one sub-benchmark per process:
//
//	go test -run '^$' -bench 'Footprint/tuned' -benchtime 1x ./daemon/store
//	go test -run '^$' -bench 'Footprint/defaults' -benchtime 1x ./daemon/store
func BenchmarkFootprint(b *testing.B) {
	for name, tune := range map[string]func(badger.Options) badger.Options{
		"tuned": nil,
		"defaults": func(o badger.Options) badger.Options {
			return badger.DefaultOptions(o.Dir).WithLogger(o.Logger)
		},
	} {
		b.Run(name, func(b *testing.B) {
			const batches, perBatch = 400, 50
			product := make([]byte, 3<<10)
			for i := range product {
				product[i] = byte('a' + rand.IntN(26))
			}
			item := make([]byte, 80)
			before := procStatus(b)["RssAnon"]
			for b.Loop() {
				db, err := store.Open(store.Options{Dir: b.TempDir(), GCInterval: -1}.WithTune(tune))
				if err != nil {
					b.Fatal(err)
				}
				for batch := range batches {
					if err := db.Update(func(txn *store.Txn) error {
						for i := range perBatch {
							n := batch*perBatch + i
							if err := txn.Set(testNS, fmt.Appendf(nil, "p/%08d", n), product); err != nil {
								return err
							}
							if err := txn.Set(testNS, fmt.Appendf(nil, "i/%08d", n), item); err != nil {
								return err
							}
						}
						return nil
					}); err != nil {
						b.Fatal(err)
					}
				}
				read := 0
				if err := db.View(func(txn *store.Txn) error {
					return txn.Scan(testNS, store.Range{}, func(_, v []byte) error {
						read += len(v)
						return nil
					})
				}); err != nil {
					b.Fatal(err)
				}
				if want := batches * perBatch * (len(product) + len(item)); read != want {
					b.Fatalf("read %d bytes, want %d", read, want)
				}
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
				status := procStatus(b)
				b.ReportMetric(before/1024, "anon-before-MB")
				b.ReportMetric(status["RssAnon"]/1024, "anon-MB")
				b.ReportMetric(status["RssFile"]/1024, "file-MB")
				b.ReportMetric(status["VmHWM"]/1024, "peak-rss-MB")
				if err := db.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// procStatus returns the kB figures of /proc/self/status (Linux).
func procStatus(b *testing.B) map[string]float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	defer f.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		fields := strings.Fields(rest)
		if !ok || len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		if v, err := strconv.ParseFloat(fields[0], 64); err == nil {
			out[name] = v
		}
	}
	return out
}
