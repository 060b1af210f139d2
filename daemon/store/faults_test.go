package store_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/daemon/catalog"
	"github.com/marketsync/marketsync/daemon/jobs"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/sdk/model"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The fault-injection suite: a real data directory, written through the
// jobs and catalog packages and closed cleanly, is copied and damaged in
// each of the ways disks and operators damage files; the copy must then
// be refused with ErrDamaged, or serve every product exactly as written.
// Never an answer that differs from what was stored.

const (
	faultProducts = 1500
	faultBatch    = 100
)

// smallFiles makes Badger roll its files early, so a few MB of products
// span several value-log files and tables, as a long-running agent's do.
func smallFiles(o badger.Options) badger.Options {
	return o.WithMemTableSize(256 << 10).WithValueLogFileSize(1 << 20).WithBaseTableSize(64 << 10)
}

var golden struct {
	once     sync.Once
	dir      string
	jobID    string
	products map[string]*model.Product
	err      error
}

// goldenDir writes the reference data directory once per test binary: a
// collect job of faultProducts items, all succeeded, and their products.
func goldenDir(t *testing.T) string {
	t.Helper()
	golden.once.Do(func() {
		dir, err := os.MkdirTemp("", "marketsync-faults-")
		if err != nil {
			golden.err = err
			return
		}
		golden.dir = filepath.Join(dir, "data")
		golden.jobID, golden.products, golden.err = writeReal(golden.dir)
	})
	if golden.err != nil {
		t.Fatalf("writing the reference data: %v", golden.err)
	}
	return golden.dir
}

func writeReal(dir string) (string, map[string]*model.Product, error) {
	db, err := store.Open(store.Options{Dir: dir, GCInterval: -1}.WithTune(smallFiles))
	if err != nil {
		return "", nil, err
	}
	defer db.Close()
	js, err := jobs.New(db)
	if err != nil {
		return "", nil, err
	}
	created := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	j := &job.Job{Id: job.NewID(created), Kind: job.Kind_KIND_COLLECT, Platform: "sandbox",
		CreatedAt: timestamppb.New(created), UpdatedAt: timestamppb.New(created)}
	ids := make([]string, faultProducts)
	for i := range ids {
		ids[i] = fmt.Sprint(100001 + i)
	}
	if err := js.Create(j, ids); err != nil {
		return "", nil, err
	}
	products := map[string]*model.Product{}
	for start := 0; start < len(ids); start += faultBatch {
		var items []*job.Item
		var ps []*model.Product
		for i := start; i < start+faultBatch; i++ {
			items = append(items, &job.Item{Index: int32(i), Id: ids[i], State: job.ItemState_ITEM_SUCCEEDED, Attempts: 1})
			p := faultProduct(ids[i])
			ps = append(ps, p)
			products[ids[i]] = p
		}
		if err := js.Commit(j, items, ps); err != nil {
			return "", nil, err
		}
	}
	j.State = job.State_STATE_SUCCEEDED
	if err := js.Save(j); err != nil {
		return "", nil, err
	}
	return j.Id, products, db.Close()
}

// faultProduct is a product of about 3 KB whose every part depends on
// its id, so a value served in place of another shows.
func faultProduct(id string) *model.Product {
	return &model.Product{
		Id:          id,
		Source:      "sandbox",
		Title:       map[string]string{"zh-CN": "标题 " + id, "en": "Title " + id},
		Description: map[string]string{"zh-CN": strings.Repeat("商品描述 "+id+" ", 120)},
		Variants: []*model.Variant{{
			Sku:   id + "-1",
			Price: &model.Money{Amount: 1999, Currency: "CNY"},
			Stock: 7,
		}},
	}
}

// copyDir copies the flat directory src to a new directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		in, err := os.Open(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.Create(filepath.Join(dst, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, in); err != nil {
			t.Fatal(err)
		}
		in.Close()
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// filesOf returns dir's files with extension ext, in Badger's order
// (oldest first).
func filesOf(t *testing.T, dir, ext string) []string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(dir, "*"+ext))
	if err != nil || len(matches) == 0 {
		t.Fatalf("no %s file in %s (%v)", ext, dir, err)
	}
	slices.Sort(matches)
	return matches
}

func truncateTo(t *testing.T, path string, size func(int64) int64) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, size(info.Size())); err != nil {
		t.Fatal(err)
	}
}

// flipBits flips one bit at each of a few places spread over the middle
// of the file.
func flipBits(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		b[len(b)*(i+2)/8] ^= 1 << i
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// crashed rewrites the marker as a periodic one: the agent was killed,
// not stopped, so the checks cannot expect the files of a clean stop.
func crashed(t *testing.T, dir string) {
	t.Helper()
	path := filepath.Join(dir, store.MarkerFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), `"state": "stopped"`, `"state": "running"`, 1)
	if i := strings.Index(s, `,
  "files"`); i >= 0 {
		s = s[:i] + "\n}\n"
	}
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestFaultInjection(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and copies a data directory of several MB per case")
	}
	src := goldenDir(t)
	first := func(ext string) func(t *testing.T, dir string) string {
		return func(t *testing.T, dir string) string { return filesOf(t, dir, ext)[0] }
	}
	// The newest value-log file that holds entries: Badger starts an
	// empty one at every open.
	newestLog := func(t *testing.T, dir string) string {
		fs := filesOf(t, dir, ".vlog")
		for i := len(fs) - 1; i > 0; i-- {
			if info, err := os.Stat(fs[i]); err == nil && info.Size() > 1024 {
				return fs[i]
			}
		}
		return fs[0]
	}
	manifest := func(_ *testing.T, dir string) string { return filepath.Join(dir, "MANIFEST") }
	tenBytes := func(int64) int64 { return 10 }
	half := func(n int64) int64 { return n / 2 }

	type damage struct {
		file func(t *testing.T, dir string) string
		do   func(t *testing.T, path string)
	}
	cut := func(file func(*testing.T, string) string, size func(int64) int64) damage {
		return damage{file, func(t *testing.T, path string) { truncateTo(t, path, size) }}
	}
	flip := func(file func(*testing.T, string) string) damage { return damage{file, flipBits} }

	for name, tc := range map[string]struct {
		damage  *damage
		crashed bool // the marker is a periodic one, as after a kill
		vanish  bool // every Badger file removed, the marker left
		accept  bool // Options.AcceptDataLoss
		refuse  bool
		empty   bool // opens on an empty catalogue (accepted loss)
	}{
		"undamaged":                      {},
		"undamaged after a crash":        {crashed: true},
		"MANIFEST cut to 10 bytes":       {damage: ptr(cut(manifest, tenBytes)), refuse: true},
		"half the oldest value log cut":  {damage: ptr(cut(first(".vlog"), half)), refuse: true},
		"half the newest value log cut":  {damage: ptr(cut(newestLog, half)), refuse: true},
		"bits flipped in a value log":    {damage: ptr(flip(first(".vlog"))), refuse: true},
		"bits flipped in the newest log": {damage: ptr(flip(newestLog)), refuse: true},
		"bits flipped in a table":        {damage: ptr(flip(first(".sst"))), refuse: true},
		"half a table cut":               {damage: ptr(cut(first(".sst"), half)), refuse: true},
		"data directory emptied":         {vanish: true, refuse: true},
		"bits flipped in the empty log":  {damage: ptr(flip(func(t *testing.T, dir string) string { fs := filesOf(t, dir, ".vlog"); return fs[len(fs)-1] })), refuse: true},

		"crash, MANIFEST cut to 10 bytes":      {damage: ptr(cut(manifest, tenBytes)), crashed: true, refuse: true},
		"crash, half the oldest value log cut": {damage: ptr(cut(first(".vlog"), half)), crashed: true, refuse: true},
		"crash, bits flipped in a value log":   {damage: ptr(flip(first(".vlog"))), crashed: true, refuse: true},
		"crash, bits flipped in a table":       {damage: ptr(flip(first(".sst"))), crashed: true, refuse: true},
		"crash, half a table cut":              {damage: ptr(cut(first(".sst"), half)), crashed: true, refuse: true},
		"crash, data directory emptied":        {vanish: true, crashed: true, refuse: true},

		"MANIFEST cut, loss accepted":     {damage: ptr(cut(manifest, tenBytes)), accept: true, empty: true},
		"half a table cut, loss accepted": {damage: ptr(cut(first(".sst"), half)), accept: true, refuse: true},
	} {
		t.Run(name, func(t *testing.T) {
			dir := copyDir(t, src)
			if tc.crashed {
				crashed(t, dir)
			}
			if d := tc.damage; d != nil {
				d.do(t, d.file(t, dir))
			}
			if tc.vanish {
				for _, ext := range []string{".sst", ".vlog", ".mem", "MANIFEST", "KEYREGISTRY", "DISCARD"} {
					matches, _ := filepath.Glob(filepath.Join(dir, "*"+ext))
					for _, m := range matches {
						os.Remove(m)
					}
				}
			}
			opts := store.Options{Dir: dir, GCInterval: -1, AcceptDataLoss: tc.accept}.WithTune(smallFiles)
			db, err := store.Open(opts)
			if err != nil {
				if !errors.Is(err, store.ErrDamaged) {
					t.Fatalf("Open failed without saying the data is damaged: %v", err)
				}
				if !tc.refuse {
					t.Fatalf("Open refused an intact database: %v", err)
				}
				t.Logf("refused: %v", err)
				// The refusal left the files and the marker as they were:
				// the next start refuses too.
				if _, err := store.Open(opts); !errors.Is(err, store.ErrDamaged) {
					t.Fatalf("second Open: %v, want ErrDamaged again", err)
				}
				return
			}
			defer db.Close()
			if tc.refuse {
				t.Error("Open accepted the damaged database")
			}
			checkServed(t, db, tc.empty)
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestMain(m *testing.M) {
	code := m.Run()
	if golden.dir != "" {
		os.RemoveAll(filepath.Dir(golden.dir))
	}
	os.Exit(code)
}

// checkServed reads every product and the job back: each must be what was
// written, or (empty) absent.
func checkServed(t *testing.T, db *store.DB, empty bool) {
	t.Helper()
	if err := db.View(func(txn *store.Txn) error {
		for id, want := range golden.products {
			e, err := catalog.Get(txn, "sandbox", id)
			switch {
			case empty && errors.Is(err, store.ErrNotFound):
			case err != nil:
				t.Errorf("product %s: %v", id, err)
			case empty:
				t.Errorf("product %s is served from a database that should be empty", id)
			case !proto.Equal(e.Product, want):
				t.Errorf("product %s served changed: %d bytes, want %d", id, proto.Size(e.Product), proto.Size(want))
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	js, err := jobs.New(db)
	if err != nil {
		t.Fatal(err)
	}
	j, err := js.Get(golden.jobID)
	switch {
	case empty && errors.Is(err, store.ErrNotFound):
	case err != nil:
		t.Errorf("job: %v", err)
	case j.Succeeded != faultProducts:
		t.Errorf("job says %d succeeded, want %d", j.Succeeded, faultProducts)
	}
}
