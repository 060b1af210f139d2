package jobs_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/daemon/catalog"
	"github.com/marketsync/marketsync/daemon/jobs"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/store/storetest"
	"github.com/marketsync/marketsync/sdk/model"
)

// crashDirEnv tells the test binary to run crashWorker on that directory.
const crashDirEnv = "MARKETSYNC_JOBS_CRASH_DIR"

// TestCrashSafety kills a process that creates jobs, resolves their URLs
// and checkpoints them, at arbitrary points, several times over, and then
// checks what the job store promises: every item is pending, or done and
// counted once, with its product stored when it succeeded; every URL is
// resolved to the id it names, failed, or still to resolve, and counted
// once.
func TestCrashSafety(t *testing.T) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		crashWorker(dir)
		return
	}
	if testing.Short() {
		t.Skip("starts and kills processes")
	}
	dir := t.TempDir()
	for round := range 4 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashSafety$")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Let it write for a while, then SIGKILL it wherever it is.
		lines := bufio.NewScanner(out)
		for n := 0; n < 13+9*round && lines.Scan(); n++ {
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
	}

	db := storetest.Open(t, store.Options{Dir: dir, GCInterval: -1})
	s := newStore(t, db)
	all, _, err := s.List(jobs.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("no job survived")
	}
	done := 0
	for _, j := range all {
		items, err := s.Items(j.Id, jobs.ItemFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var counted [3]int32
		var resolved int32
		for _, it := range items {
			counted[it.State]++
			if it.Url != "" && (it.Id != "" || it.State == job.ItemState_ITEM_FAILED) {
				resolved++
				if it.Id != "" && it.Url != urlOf(it.Id) {
					t.Errorf("job %s item %d: URL %s resolved to %s", j.Id, it.Index, it.Url, it.Id)
				}
			}
			_, err := getProduct(db, it.Id)
			switch {
			case it.State == job.ItemState_ITEM_SUCCEEDED && err != nil:
				t.Errorf("job %s item %d succeeded without its product: %v", j.Id, it.Index, err)
			case it.State != job.ItemState_ITEM_SUCCEEDED && !errors.Is(err, store.ErrNotFound):
				t.Errorf("job %s item %d is %v with a product stored", j.Id, it.Index, it.State)
			}
		}
		if int(j.Total) != len(items) || j.Succeeded != counted[job.ItemState_ITEM_SUCCEEDED] || j.Failed != counted[job.ItemState_ITEM_FAILED] {
			t.Errorf("job %s counts total %d, %d succeeded, %d failed; its items: %d, %v", j.Id, j.Total, j.Succeeded, j.Failed, len(items), counted)
		}
		if j.Resolved != resolved {
			t.Errorf("job %s counts %d URLs resolved; its items: %d", j.Id, j.Resolved, resolved)
		}
		done += int(j.Succeeded + j.Failed)
	}
	t.Logf("%d jobs, %d items done across 4 kills", len(all), done)
}

func getProduct(db *store.DB, id string) (*catalog.Entry, error) {
	var e *catalog.Entry
	err := db.View(func(txn *store.Txn) (err error) {
		e, err = catalog.Get(txn, "sandbox", id)
		return err
	})
	return e, err
}

// urlOf is the product page URL of an id in the crash test, and idOf
// the id such a URL names.
func urlOf(id string) string { return "https://item.example/" + id + ".html" }

func idOf(url string) string {
	return strings.TrimSuffix(strings.TrimPrefix(url, "https://item.example/"), ".html")
}

// crashWorker runs a collect loop until it is killed: resume unfinished
// jobs batch by batch — resolving their URLs first, then fetching — and
// create a new one when none is left. It prints a line after each step.
func crashWorker(dir string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "crash worker:", err)
		os.Exit(2)
	}
	db, err := store.Open(store.Options{Dir: dir, GCInterval: -1})
	if err != nil {
		fail(err)
	}
	s, err := jobs.New(db)
	if err != nil {
		fail(err)
	}
	save := func(j *job.Job, done string) {
		if err := s.Save(j); err != nil {
			fail(err)
		}
		fmt.Println(done, j.Id)
	}
	for {
		unfinished, err := s.Unfinished()
		if err != nil {
			fail(err)
		}
		if len(unfinished) == 0 {
			j := &job.Job{Id: job.NewID(time.Now()), Platform: "sandbox", State: job.State_STATE_RUNNING, Step: job.Step_STEP_RESOLVING}
			itemIDs := make([]string, 500)
			for i := range itemIDs {
				itemIDs[i] = fmt.Sprintf("%s-%d", j.Id, i)
				if i%3 == 0 {
					itemIDs[i] = urlOf(itemIDs[i])
					j.ToResolve++
				}
			}
			if err := s.Create(j, itemIDs); err != nil {
				fail(err)
			}
			fmt.Println("created", j.Id)
			continue
		}
		j := unfinished[0]
		pending, err := s.Pending(j.Id)
		if err != nil {
			fail(err)
		}
		if j.Step == job.Step_STEP_RESOLVING {
			var urls []*job.Item
			for _, it := range pending {
				if it.Id == "" && len(urls) < 20 {
					urls = append(urls, it)
				}
			}
			if len(urls) == 0 {
				j.Step = job.Step_STEP_COLLECTING
				save(j, "resolved")
				continue
			}
			for _, it := range urls {
				if it.Index%9 == 0 {
					it.State, it.Error = job.ItemState_ITEM_FAILED, model.Invalid("NOT_A_PRODUCT_URL", it.Url)
					continue
				}
				it.Id = idOf(it.Url)
			}
			j.Resolved += int32(len(urls))
			if err := s.Commit(j, urls, nil); err != nil {
				fail(err)
			}
			fmt.Println("resolving", j.Id, len(urls))
			continue
		}
		if len(pending) == 0 {
			j.State = job.State_STATE_PARTIAL
			save(j, "finished")
			continue
		}
		batch := pending[:min(50, len(pending))]
		var products []*model.Product
		for _, it := range batch {
			it.Attempts++
			if it.Index%7 == 0 {
				it.State = job.ItemState_ITEM_FAILED
				continue
			}
			it.State = job.ItemState_ITEM_SUCCEEDED
			products = append(products, product(it.Id))
		}
		if err := s.Commit(j, batch, products); err != nil {
			fail(err)
		}
		fmt.Println("committed", j.Id, len(products))
	}
}
