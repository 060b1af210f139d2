package jobs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/daemon/catalog"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/sdk/model"
	"google.golang.org/protobuf/proto"
)

var ns = store.Register("job/")

// Keys, under "job/":
//
//	r/<id>            the job record, a job.Job
//	i/<id>/<index>    one item, a job.Item; index as 4 bytes big-endian
//	c/<id>            a Create in progress
func recordKey(id string) []byte   { return []byte("r/" + id) }
func creatingKey(id string) []byte { return []byte("c/" + id) }
func itemsPrefix(id string) []byte { return []byte("i/" + id + "/") }

func itemKey(id string, index int32) []byte {
	return binary.BigEndian.AppendUint32(itemsPrefix(id), uint32(index))
}

var (
	recordsRange  = store.Range{Prefix: []byte("r/")}
	creatingRange = store.Range{Prefix: []byte("c/"), KeysOnly: true}
)

// Store keeps jobs and their items in the database and implements
// job.Store for the job actors, plus the queries of the HTTP API.
type Store struct {
	db   *store.DB
	hook Hook
}

// Hook runs inside the transaction of every Save and Commit once the job
// record is written: prev as it was stored, next as written (counters
// included), products those a Commit puts in the catalogue. Its error
// rolls the whole write back. The agent emits its job and product events
// through it, so they are stored if and only if what they report is.
type Hook func(txn *store.Txn, prev, next *job.Job, products []*model.Product) error

// SetHook installs h; call it before the job actors start.
func (s *Store) SetHook(h Hook) { s.hook = h }

// putHooked is putJob followed by the hook.
func (s *Store) putHooked(txn *store.Txn, prev, j *job.Job, total, succeeded, failed int32, products []*model.Product) error {
	if err := putJob(txn, j, total, succeeded, failed); err != nil || s.hook == nil {
		return err
	}
	next := proto.CloneOf(j)
	next.Total, next.Succeeded, next.Failed = total, succeeded, failed
	return s.hook(txn, prev, next, products)
}

var _ job.Store = (*Store)(nil)

// New returns the job store on db, first removing the items of any job
// whose Create was interrupted (by a crash) before its record was written.
// Call it before the job actors start.
func New(db *store.DB) (*Store, error) {
	s := &Store{db: db}
	var ids []string
	if err := db.View(func(txn *store.Txn) error {
		return txn.Scan(ns, creatingRange, func(key, _ []byte) error {
			ids = append(ids, string(key[len("c/"):]))
			return nil
		})
	}); err != nil {
		return nil, fmt.Errorf("jobs: find interrupted creates: %w", err)
	}
	for _, id := range ids {
		if err := s.discard(id); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// discard removes the items and the marker of an interrupted Create.
func (s *Store) discard(id string) error {
	var keys [][]byte
	if err := s.db.View(func(txn *store.Txn) error {
		return txn.Scan(ns, store.Range{Prefix: itemsPrefix(id), KeysOnly: true}, func(key, _ []byte) error {
			keys = append(keys, append([]byte(nil), key...))
			return nil
		})
	}); err != nil {
		return fmt.Errorf("jobs: discard interrupted job %s: %w", id, err)
	}
	if err := s.db.Batch(func(b *store.Batch) error {
		for _, k := range keys {
			if err := b.Delete(ns, k); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("jobs: discard interrupted job %s: %w", id, err)
	}
	// The marker goes last, so a crash here leaves it to try again.
	if err := s.db.Update(func(txn *store.Txn) error { return txn.Delete(ns, creatingKey(id)) }); err != nil {
		return fmt.Errorf("jobs: discard interrupted job %s: %w", id, err)
	}
	return nil
}

// Create persists j and one pending item per id, in order (an id that is a
// product page URL makes an item with that URL and no id yet), and sets
// j.Total to len(ids) and its other counters to zero. A job can have more
// items than one transaction holds, so Create writes in three steps: a
// marker, the items (in as many transactions as needed), then the record
// with the marker removed, atomically. Until that last step the job is
// invisible: Get, List, Unfinished and Pending do not see it, and New
// removes what an interrupted Create left. It fails if the job exists.
func (s *Store) Create(j *job.Job, ids []string) error {
	if err := checkID(j.GetId()); err != nil {
		return err
	}
	if len(ids) > math.MaxInt32 {
		return fmt.Errorf("jobs: create %s: %d items is too many", j.GetId(), len(ids))
	}
	if err := s.db.Update(func(txn *store.Txn) error {
		for _, key := range [][]byte{recordKey(j.Id), creatingKey(j.Id)} {
			if _, err := txn.Get(ns, key); !errors.Is(err, store.ErrNotFound) {
				if err == nil {
					err = errors.New("job exists")
				}
				return err
			}
		}
		return txn.Set(ns, creatingKey(j.Id), nil)
	}); err != nil {
		return fmt.Errorf("jobs: create %s: %w", j.Id, err)
	}

	if err := s.db.Batch(func(b *store.Batch) error {
		for i, id := range ids {
			value, err := proto.Marshal(job.NewItem(int32(i), id))
			if err != nil {
				return err
			}
			if err := b.Set(ns, itemKey(j.Id, int32(i)), value); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("jobs: create %s: items: %w", j.Id, err)
	}

	total := int32(len(ids))
	if err := s.db.Update(func(txn *store.Txn) error {
		if err := putJob(txn, j, total, 0, 0); err != nil {
			return err
		}
		return txn.Delete(ns, creatingKey(j.Id))
	}); err != nil {
		return fmt.Errorf("jobs: create %s: %w", j.Id, err)
	}
	j.Total, j.Succeeded, j.Failed = total, 0, 0
	return nil
}

// Save writes the job record: state, times, calls, error. The item
// counters (total, succeeded, failed) are the store's, kept equal to the
// items' states by Create and Commit: Save keeps the stored ones and sets
// them on j. The job must exist.
func (s *Store) Save(j *job.Job) error {
	var stored *job.Job
	err := s.db.Update(func(txn *store.Txn) (err error) {
		if stored, err = getJob(txn, j.GetId()); err != nil {
			return err
		}
		return s.putHooked(txn, stored, j, stored.Total, stored.Succeeded, stored.Failed, nil)
	})
	if err != nil {
		return fmt.Errorf("jobs: save %s: %w", j.GetId(), err)
	}
	j.Total, j.Succeeded, j.Failed = stored.Total, stored.Succeeded, stored.Failed
	return nil
}

// Commit records a batch in one transaction: each item's new state, the
// products in the catalogue under j.Platform, and the job record, whose
// succeeded and failed counters move by the items' state changes (and are
// set on j). Either all of it is stored or none. Each item must exist with
// the same id and URL, except that an item given as a URL may get its id
// (the checkpoint of resolving it). Products are stamped as collected at j.UpdatedAt, or now
// when it is unset.
//
// The batch must fit one transaction (see package store): on disk, where a
// product of 1 KB or more counts as a pointer, a few thousand items and
// products; in memory, where products count whole, about 2.4 MB of them.
// Over that Commit fails with store.ErrTxnTooBig and stores nothing;
// commit smaller batches.
func (s *Store) Commit(j *job.Job, items []*job.Item, products []*model.Product) error {
	collectedAt := time.Now()
	if j.GetUpdatedAt() != nil {
		collectedAt = j.GetUpdatedAt().AsTime()
	}
	return s.commit(j, items, products, func(txn *store.Txn) error {
		for _, p := range products {
			if err := catalog.Put(txn, j.Platform, p, collectedAt); err != nil {
				return err
			}
		}
		return nil
	})
}

// CommitWith is Commit with the batch's other records written by also,
// in the same transaction: a sync job's bindings, snapshots and decisions
// are stored with its items or not at all. also runs first and may still
// settle the items it is given (an item whose binding is refused fails).
func (s *Store) CommitWith(j *job.Job, items []*job.Item, also func(*store.Txn) error) error {
	return s.commit(j, items, nil, also)
}

// commit is Commit and CommitWith: also, then the items, then the job
// record and the hook, which is told of products.
func (s *Store) commit(j *job.Job, items []*job.Item, products []*model.Product, also func(*store.Txn) error) error {
	var total, succeeded, failed int32
	err := s.db.Update(func(txn *store.Txn) error {
		stored, err := getJob(txn, j.GetId())
		if err != nil {
			return err
		}
		total, succeeded, failed = stored.Total, stored.Succeeded, stored.Failed
		if also != nil {
			if err := also(txn); err != nil {
				return err
			}
		}
		for _, it := range items {
			old, err := getItem(txn, j.Id, it.GetIndex())
			if err != nil {
				return err
			}
			if !sameItem(old, it) {
				return fmt.Errorf("item %d is %q, not %q", it.GetIndex(), itemName(old), itemName(it))
			}
			s0, f0 := outcome(old.State)
			s1, f1 := outcome(it.GetState())
			succeeded += s1 - s0
			failed += f1 - f0
			if err := putItem(txn, j.Id, it); err != nil {
				return err
			}
		}
		return s.putHooked(txn, stored, j, total, succeeded, failed, products)
	})
	if err != nil {
		return fmt.Errorf("jobs: commit %s: %w", j.GetId(), err)
	}
	j.Total, j.Succeeded, j.Failed = total, succeeded, failed
	return nil
}

// AddListed records a page of a listing job in one transaction: an item
// per id, pending, at the indexes after the job's last, and the job
// record, whose total grows by len(ids) (and is set on j). Either all of
// it is stored or none, so a restart lists on from the cursor the record
// holds and never adds a page twice.
func (s *Store) AddListed(j *job.Job, ids []string) error {
	var total, succeeded, failed int32
	err := s.db.Update(func(txn *store.Txn) error {
		stored, err := getJob(txn, j.GetId())
		if err != nil {
			return err
		}
		if int64(stored.Total)+int64(len(ids)) > math.MaxInt32 {
			return fmt.Errorf("%d items is too many", int64(stored.Total)+int64(len(ids)))
		}
		total, succeeded, failed = stored.Total, stored.Succeeded, stored.Failed
		for _, id := range ids {
			if err := putItem(txn, j.Id, &job.Item{Index: total, Id: id}); err != nil {
				return err
			}
			total++
		}
		return putJob(txn, j, total, succeeded, failed)
	})
	if err != nil {
		return fmt.Errorf("jobs: add listed to %s: %w", j.GetId(), err)
	}
	j.Total, j.Succeeded, j.Failed = total, succeeded, failed
	return nil
}

// sameItem says whether it is an update of the stored item old: the same
// URL, and the same id, except that an item given as a URL gets its id
// once, when the URL is resolved.
func sameItem(old, it *job.Item) bool {
	return old.Url == it.GetUrl() && (old.Id == it.GetId() || old.Id == "" && old.Url != "")
}

// itemName is the id of an item, or the URL it was given as.
func itemName(it *job.Item) string {
	if it.GetUrl() == "" {
		return it.GetId()
	}
	return strings.TrimSuffix(it.GetUrl()+" "+it.GetId(), " ")
}

// outcome counts an item state towards the succeeded and failed counters.
func outcome(s job.ItemState) (succeeded, failed int32) {
	switch s {
	case job.ItemState_ITEM_SUCCEEDED:
		return 1, 0
	case job.ItemState_ITEM_FAILED:
		return 0, 1
	}
	return 0, 0
}

// Pending returns the job's pending items in index order.
func (s *Store) Pending(jobID string) ([]*job.Item, error) {
	pending := job.ItemState_ITEM_PENDING
	items, err := s.Items(jobID, ItemFilter{State: &pending})
	if err != nil {
		return nil, fmt.Errorf("jobs: pending: %w", err)
	}
	return items, nil
}

// Unfinished returns the queued and running jobs, oldest first.
func (s *Store) Unfinished() ([]*job.Job, error) {
	var jobs []*job.Job
	err := s.db.View(func(txn *store.Txn) error {
		return scanJobs(txn, recordsRange, func(j *job.Job) error {
			switch j.State {
			case job.State_STATE_QUEUED, job.State_STATE_RUNNING:
				jobs = append(jobs, j)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: unfinished: %w", err)
	}
	return jobs, nil
}

// CountByState counts the jobs in each state, for the metrics the agent
// starts with.
func (s *Store) CountByState() (map[job.State]int, error) {
	counts := map[job.State]int{}
	err := s.db.View(func(txn *store.Txn) error {
		return scanJobs(txn, recordsRange, func(j *job.Job) error {
			counts[j.State]++
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: count: %w", err)
	}
	return counts, nil
}

// Get returns the job with id, or store.ErrNotFound.
func (s *Store) Get(id string) (*job.Job, error) {
	var j *job.Job
	err := s.db.View(func(txn *store.Txn) (err error) {
		j, err = getJob(txn, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: get %s: %w", id, err)
	}
	return j, nil
}

// Filter selects jobs for List. Its zero value selects every job.
type Filter struct {
	// State, when set, keeps jobs in that state.
	State *job.State
	// Platform, when set, keeps jobs of that platform block.
	Platform string
	// Before is a cursor: only jobs older than the job with this id
	// (ids sort by creation time). Empty starts with the newest.
	Before string
	// Limit is the most jobs to return; 0 means all.
	Limit int
}

// List returns the jobs that match f, newest first, and the cursor of the
// next page (for Filter.Before), "" when there is none.
func (s *Store) List(f Filter) ([]*job.Job, string, error) {
	if f.Limit < 0 {
		return nil, "", fmt.Errorf("jobs: list: negative limit %d", f.Limit)
	}
	r := recordsRange
	r.Reverse = true
	if f.Before != "" {
		r.After = recordKey(f.Before)
	}
	var jobs []*job.Job
	err := s.db.View(func(txn *store.Txn) error {
		return scanJobs(txn, r, func(j *job.Job) error {
			if (f.State != nil && j.State != *f.State) || (f.Platform != "" && j.Platform != f.Platform) {
				return nil
			}
			jobs = append(jobs, j)
			if f.Limit > 0 && len(jobs) > f.Limit {
				return store.StopScan // one more than a page: there is a next
			}
			return nil
		})
	})
	if err != nil {
		return nil, "", fmt.Errorf("jobs: list: %w", err)
	}
	if f.Limit > 0 && len(jobs) > f.Limit {
		jobs = jobs[:f.Limit]
		return jobs, jobs[f.Limit-1].Id, nil
	}
	return jobs, "", nil
}

// ItemFilter selects items for Items. Its zero value selects every item.
type ItemFilter struct {
	// State, when set, keeps items in that state.
	State *job.ItemState
	// After is where the page starts: items with an index of After or
	// more. Index 0 is the first item, so the zero value starts there; for
	// the next page pass the last index seen plus one.
	After int32
	// Limit is the most items to return; 0 means all.
	Limit int
}

// Items returns the job's items that match f, in index order, or
// store.ErrNotFound for an unknown job.
func (s *Store) Items(jobID string, f ItemFilter) ([]*job.Item, error) {
	if f.Limit < 0 || f.After < 0 {
		return nil, fmt.Errorf("jobs: items of %s: negative limit or start", jobID)
	}
	r := store.Range{Prefix: itemsPrefix(jobID)}
	if f.After > 0 {
		r.After = itemKey(jobID, f.After-1)
	}
	var items []*job.Item
	err := s.db.View(func(txn *store.Txn) error {
		if _, err := getJob(txn, jobID); err != nil {
			return err
		}
		return txn.Scan(ns, r, func(_, value []byte) error {
			it, err := decode[job.Item](value)
			if err != nil {
				return fmt.Errorf("decode item: %w", err)
			}
			if f.State != nil && it.State != *f.State {
				return nil
			}
			items = append(items, it)
			if f.Limit > 0 && len(items) == f.Limit {
				return store.StopScan
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: items of %s: %w", jobID, err)
	}
	return items, nil
}

// checkID refuses ids that would make keys ambiguous: a job id is a path
// segment of its item keys.
func checkID(id string) error {
	if id == "" || strings.Contains(id, "/") {
		return fmt.Errorf("jobs: invalid job id %q", id)
	}
	return nil
}

func getJob(txn *store.Txn, id string) (*job.Job, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	value, err := txn.Get(ns, recordKey(id))
	if err != nil {
		return nil, err
	}
	j, err := decode[job.Job](value)
	if err != nil {
		return nil, fmt.Errorf("decode job %s: %w", id, err)
	}
	return j, nil
}

// putJob writes j with the given item counters; j itself is not changed.
func putJob(txn *store.Txn, j *job.Job, total, succeeded, failed int32) error {
	rec := proto.CloneOf(j)
	rec.Total, rec.Succeeded, rec.Failed = total, succeeded, failed
	value, err := proto.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode job %s: %w", j.Id, err)
	}
	return txn.Set(ns, recordKey(j.Id), value)
}

func getItem(txn *store.Txn, jobID string, index int32) (*job.Item, error) {
	value, err := txn.Get(ns, itemKey(jobID, index))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("job %s has no item %d", jobID, index)
	}
	if err != nil {
		return nil, err
	}
	it, err := decode[job.Item](value)
	if err != nil {
		return nil, fmt.Errorf("decode item %d: %w", index, err)
	}
	return it, nil
}

func putItem(txn *store.Txn, jobID string, it *job.Item) error {
	value, err := proto.Marshal(it)
	if err != nil {
		return fmt.Errorf("encode item %d: %w", it.GetIndex(), err)
	}
	return txn.Set(ns, itemKey(jobID, it.GetIndex()), value)
}

// scanJobs decodes the job records in r and hands each to fn.
func scanJobs(txn *store.Txn, r store.Range, fn func(*job.Job) error) error {
	return txn.Scan(ns, r, func(key, value []byte) error {
		j, err := decode[job.Job](value)
		if err != nil {
			return fmt.Errorf("decode job %s: %w", key[len("r/"):], err)
		}
		return fn(j)
	})
}

// decode unmarshals a stored record: a job.Job or a job.Item.
func decode[T any, M interface {
	*T
	proto.Message
}](value []byte) (M, error) {
	m := M(new(T))
	if err := proto.Unmarshal(value, m); err != nil {
		return nil, err
	}
	return m, nil
}
