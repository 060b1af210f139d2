package job

import (
	"crypto/rand"
	"time"

	"github.com/marketsync/marketsync/sdk/model"
	"github.com/oklog/ulid/v2"
)

// Store persists jobs for the job actors. The agent implements it on
// Badger (daemon/jobs); the actors never see keys or encodings.
//
// Commit is the checkpoint: the products of a batch, the outcomes of its
// items and the job's counters are written in one transaction, so after a
// crash an item is either pending (and will be fetched again) or done with
// its product stored — never lost, never counted twice.
type Store interface {
	// Create persists a new job and one pending item per entry of the
	// request, in order, as NewItem makes it (an id, or a URL to resolve).
	Create(j *Job, ids []string) error
	// Save writes the job record alone (state, counters, times).
	Save(j *Job) error
	// Pending returns the job's unfinished items in index order.
	Pending(jobID string) ([]*Item, error)
	// Commit records a batch: item outcomes (or the ids their URLs name),
	// the job record and, for a collect job, the products to put in the
	// catalogue under j.Platform.
	Commit(j *Job, items []*Item, products []*model.Product) error
	// AddListed records a page of a listing job in one transaction: one
	// pending item per id, numbered on from the job's last item, and the
	// job record (its cursor, pages and step), with total moved by
	// len(ids) (and set on j). A restart finds the job where the last
	// page left it, its cursor naming the page to list next.
	AddListed(j *Job, ids []string) error
	// Unfinished lists jobs that are queued or running, oldest first, so
	// the agent can resume them after a restart.
	Unfinished() ([]*Job, error)
}

// NewID returns a new job id: a ULID, so ids sort by creation time.
func NewID(now time.Time) string {
	return ulid.MustNew(ulid.Timestamp(now), rand.Reader).String()
}
