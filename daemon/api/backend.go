package api

import (
	"context"

	"github.com/marketsync/marketsync/daemon/client"
)

// Backend is what the routes need from the agent, in the types of package
// client only: the agent converts its records. The server checks and
// fills in every argument before it calls the Backend:
//
//   - Collect gets a non-empty platform and either 1 to MaxCollectIDs ids
//     or product page URLs, none empty, none repeated, none holding
//     whitespace or control characters, or a Scope of the same kind and
//     no ids; it checks the rest (see the package documentation) and
//     returns the new job as queued.
//   - Jobs gets a State that is empty or one of client.JobStates and a Limit
//     from 1 to MaxListLimit; it returns jobs newest first, and
//     UnknownPlatform for a Platform no block has.
//   - Products gets a Limit from 1 to MaxListLimit; it returns a page of the
//     catalogue by platform then id, and UnknownPlatform for a Platform no
//     block has. Cursor is the backend's own, from a page's Next; one it
//     cannot read is a BadRequest with CodeInvalidQuery.
//   - JobItems gets a State that is empty or one of client.ItemStates,
//     After ≥ 0 and a Limit from 1 to MaxListLimit.
//   - Product gets platform "" for a bare id, which it resolves: one match
//     is the product, several are a Conflict with CodeAmbiguousProduct.
//
// Errors the caller should see are *Error values (UnknownPlatform,
// JobNotFound, ProductNotFound, Unavailable, ...); anything else becomes a
// 500 whose cause is logged, not sent.
type Backend interface {
	// Version is the agent's build version, which GET /v1/health reports.
	Version() string
	Platforms(ctx context.Context) ([]client.Platform, error)
	Collect(ctx context.Context, req client.CollectRequest) (*client.Job, error)
	Jobs(ctx context.Context, opts client.JobListOptions) ([]client.Job, error)
	// Job answers at once when wait.Index is zero or differs from the
	// job's index; otherwise it blocks until the job changes, wait.Wait
	// passes or ctx ends, and then answers with the job as it is.
	Job(ctx context.Context, id string, wait client.WaitOptions) (*client.Job, error)
	JobItems(ctx context.Context, id string, opts client.ItemListOptions) (*client.ItemPage, error)
	// CancelJob stops a queued or running job and returns it cancelled;
	// JobNotFound for an unknown id, JobFinished for one already over.
	CancelJob(ctx context.Context, id string) (*client.Job, error)
	Product(ctx context.Context, platform, id string) (*client.Product, error)
	Products(ctx context.Context, opts client.ProductListOptions) (*client.ProductPage, error)
}
