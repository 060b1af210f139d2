package agent

import (
	"sync"

	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/sdk/model"
)

// changes wakes blocking queries when a job changes: every waiter holds
// the current channel, and a change closes it and makes a new one. It
// is Consul's watch-set pattern at its simplest — one channel for all
// jobs, so a change wakes every waiter and each re-reads its own job;
// cheap while waiters are few (CLIs following their jobs).
type changes struct {
	mu sync.Mutex
	ch chan struct{}
}

func newChanges() *changes { return &changes{ch: make(chan struct{})} }

// wait returns a channel that is closed at the next change.
func (c *changes) wait() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ch
}

func (c *changes) notify() {
	c.mu.Lock()
	defer c.mu.Unlock()
	close(c.ch)
	c.ch = make(chan struct{})
}

// notifyingStore is the job store as the job actors see it: every write
// that succeeds wakes the blocking queries.
type notifyingStore struct {
	job.Store
	changes *changes
}

func (s notifyingStore) Create(j *job.Job, ids []string) error {
	return s.then(s.Store.Create(j, ids))
}

func (s notifyingStore) Save(j *job.Job) error { return s.then(s.Store.Save(j)) }

func (s notifyingStore) Commit(j *job.Job, items []*job.Item, products []*model.Product) error {
	return s.then(s.Store.Commit(j, items, products))
}

func (s notifyingStore) then(err error) error {
	if err == nil {
		s.changes.notify()
	}
	return err
}
