package store_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/marketsync/marketsync/daemon/catalog"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/sdk/model"
)

// integrityModes are the ways the benchmarks below open the database: as
// the daemon does (checksums verified on every read, writes synced), and
// with each of those turned off, to price them.
var integrityModes = map[string]func(badger.Options) badger.Options{
	"daemon": nil,
	"no-checksums": func(o badger.Options) badger.Options {
		return o.WithChecksumVerificationMode(options.NoVerification).WithVerifyValueChecksum(false)
	},
	"no-sync": func(o badger.Options) badger.Options { return o.WithSyncWrites(false) },
}

// BenchmarkCatalogIntegrity prices Badger's integrity options on the
// catalogue: a checkpoint-sized write (50 products of about 3 KB in one
// transaction) and a read of one product picked at random among 20,000,
// read from tables and value log rather than the memtable.
//
//	go test -run '^$' -bench CatalogIntegrity -count 3 ./daemon/store/
func BenchmarkCatalogIntegrity(b *testing.B) {
	const stored, batch = 20_000, 50
	for name, tune := range integrityModes {
		b.Run("write/"+name, func(b *testing.B) {
			db, err := store.Open(store.Options{Dir: b.TempDir(), GCInterval: -1}.WithTune(tune))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			n := 0
			for b.Loop() {
				putProducts(b, db, n, batch)
				n += batch
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(n), "µs/product")
		})
		b.Run("read/"+name, func(b *testing.B) {
			dir := storedProducts(b, stored, tune)
			db, err := store.Open(store.Options{Dir: dir, GCInterval: -1}.WithTune(tune))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			for b.Loop() {
				id := fmt.Sprint(100001 + rand.IntN(stored))
				if err := db.View(func(txn *store.Txn) error {
					_, err := catalog.Get(txn, "sandbox", id)
					return err
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// storedProducts returns a closed data directory holding n products.
func storedProducts(b *testing.B, n int, tune func(badger.Options) badger.Options) string {
	dir := filepath.Join(b.TempDir(), "data")
	db, err := store.Open(store.Options{Dir: dir, GCInterval: -1}.WithTune(tune))
	if err != nil {
		b.Fatal(err)
	}
	for from := 0; from < n; from += 500 {
		putProducts(b, db, from, 500)
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	return dir
}

func putProducts(b *testing.B, db *store.DB, from, n int) {
	b.Helper()
	ps := make([]*model.Product, n)
	for i := range ps {
		ps[i] = faultProduct(fmt.Sprint(100001 + from + i))
	}
	now := time.Now()
	if err := db.Update(func(txn *store.Txn) error {
		for _, p := range ps {
			if err := catalog.Put(txn, "sandbox", p, now); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkStartCheck times what Open adds before serving a data
// directory of 20,000 products (about 50 MB): the file checks (MANIFEST,
// every table's checksums, every value-log entry's), and the count of
// records per namespace that is compared with the marker; and, to price
// the downtime of a backup, saving a snapshot of it.
//
//	go test -run '^$' -bench StartCheck -benchtime 5x ./daemon/store/
func BenchmarkStartCheck(b *testing.B) {
	dir := storedProducts(b, 20_000, nil)
	b.Run("files", func(b *testing.B) {
		for b.Loop() {
			if err := store.CheckFiles(dir); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("counts", func(b *testing.B) {
		db, err := store.Open(store.Options{Dir: dir, GCInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		for b.Loop() {
			if _, err := db.Counts(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("snapshot-save", func(b *testing.B) {
		db, err := store.Open(store.Options{Dir: dir, GCInterval: -1, ReadOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		path := filepath.Join(b.TempDir(), "backup.snap")
		for b.Loop() {
			if _, err := db.SaveSnapshot(path, "bench"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("open-close", func(b *testing.B) {
		for b.Loop() {
			db, err := store.Open(store.Options{Dir: dir, GCInterval: -1})
			if err != nil {
				b.Fatal(err)
			}
			if err := db.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
