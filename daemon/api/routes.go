package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/marketsync/marketsync/daemon/client"
)

const (
	// MaxCollectIDs is the most ids one collect request may carry.
	MaxCollectIDs = 10_000
	// MaxListLimit is the largest page a list route returns.
	MaxListLimit = 1000
	// DefaultJobLimit and DefaultItemLimit are the page sizes when the
	// request gives no limit.
	DefaultJobLimit     = 50
	DefaultItemLimit    = 100
	DefaultProductLimit = 100

	// MaxIDBytes is the longest id, product page URL or scope the API
	// takes, in a body or a path. Platform ids are a few dozen bytes and
	// URLs a few hundred; an id of a megabyte (under MaxBodyBytes) made the
	// job's checkpoint fail in the store, so it is refused here, where the
	// caller learns why.
	MaxIDBytes = 2 << 10
)

func (s *Server) routes() {
	s.mux.HandleFunc("GET /v1/health", s.wrap(s.health))
	s.mux.HandleFunc("GET /v1/platforms", s.wrap(s.platforms))
	s.mux.HandleFunc("POST /v1/collect", s.wrap(s.collect))
	s.mux.HandleFunc("GET /v1/jobs", s.wrap(s.jobs))
	s.mux.HandleFunc("GET /v1/jobs/{id}", s.wrap(s.job))
	s.mux.HandleFunc("GET /v1/jobs/{id}/items", s.wrap(s.jobItems))
	s.mux.HandleFunc("POST /v1/jobs/{id}/cancel", s.wrap(s.cancelJob))
	s.mux.HandleFunc("GET /v1/products", s.wrap(s.products))
	s.mux.HandleFunc("GET /v1/products/{id}", s.wrap(s.product))
	s.mux.HandleFunc("GET /v1/stats", s.wrap(s.getStats))
	s.cacheRoutes()
	s.snapshotRoutes()
	s.webhookRoutes()
	s.alertRoutes()
	s.clusterRoutes()
	s.syncRoutes()
	if s.metrics != nil {
		s.mux.Handle("GET /metrics", s.metrics)
	} else {
		s.mux.HandleFunc("GET /metrics", s.wrap(func(http.ResponseWriter, *http.Request) (any, error) {
			return nil, NotFound(client.CodeNotFound, "metrics are not enabled on this agent")
		}))
	}
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) (any, error) {
	return client.Health{
		Status:        "ok",
		Version:       s.backend.Version(),
		UptimeSeconds: s.now().Sub(s.started).Seconds(),
	}, nil
}

func (s *Server) platforms(w http.ResponseWriter, r *http.Request) (any, error) {
	list, err := s.backend.Platforms(r.Context())
	if err != nil {
		return nil, err
	}
	return nonNil(list), nil
}

const collectShape = `{"platform": "<name>", "ids": ["<id or product page URL>", ...]} or {"platform": "<name>", "scope": "<shop or category>"}`

func (s *Server) collect(w http.ResponseWriter, r *http.Request) (any, error) {
	var req client.CollectRequest
	if err := decodeJSON(w, r, &req, collectShape); err != nil {
		return nil, err
	}
	if err := checkCollect(req); err != nil {
		return nil, err
	}
	key := r.Header.Get(client.HeaderIdempotencyKey)
	if err := checkIdempotencyKey(key); err != nil {
		return nil, err
	}
	req.IdempotencyKey = key
	job, err := s.backend.Collect(r.Context(), req)
	if err != nil {
		return nil, err
	}
	if job == nil {
		return nil, errors.New("backend accepted the collect request but returned no job")
	}
	fillPending(job)
	w.Header().Set("Location", "/v1/jobs/"+job.ID)
	return withStatus{status: http.StatusAccepted, body: job}, nil
}

// MaxIdempotencyKeyBytes caps an Idempotency-Key: a UUID takes 36.
const MaxIdempotencyKeyBytes = 255

// checkIdempotencyKey refuses a key over MaxIdempotencyKeyBytes or with
// a byte outside printable ASCII; "" is no key.
func checkIdempotencyKey(key string) error {
	if len(key) > MaxIdempotencyKeyBytes {
		return BadRequest(client.CodeInvalidRequest, fmt.Sprintf("the Idempotency-Key header is %d bytes long, over the limit of %d", len(key), MaxIdempotencyKeyBytes))
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return BadRequest(client.CodeInvalidRequest, "the Idempotency-Key header may hold printable ASCII only, without spaces (a UUID, say)")
		}
	}
	return nil
}

// checkCollect rejects a collect request of the wrong shape, which the
// backend should never see; what it means is the job manager's to check.
func checkCollect(req client.CollectRequest) error {
	invalid := func(format string, args ...any) error {
		return BadRequest(client.CodeInvalidRequest, fmt.Sprintf(format, args...))
	}
	if strings.TrimSpace(req.Platform) == "" {
		return invalid(`"platform" is required: the name of a platform block, as in %s`, collectShape)
	}
	if req.Scope != "" {
		if len(req.IDs) > 0 {
			return invalid(`give "ids" or "scope", not both: a scope collects a whole listing`)
		}
		return checkEntry("scope", req.Scope)
	}
	switch n := len(req.IDs); {
	case n == 0:
		return BadRequest(client.CodeMissingIDs, `"ids" is empty: give at least one product id or product page URL to collect, or a "scope" to collect a listing`)
	case n > MaxCollectIDs:
		return BadRequest(client.CodeTooManyIDs, fmt.Sprintf(`"ids" has %d ids, over the limit of %d per request; split them into several requests`, n, MaxCollectIDs))
	}
	seen := make(map[string]int, len(req.IDs))
	for i, id := range req.IDs {
		if err := checkEntry(fmt.Sprintf("ids[%d]", i), id); err != nil {
			return err
		}
		if first, dup := seen[id]; dup {
			return BadRequest(client.CodeDuplicateIDs, fmt.Sprintf("ids[%d] %q repeats ids[%d]; each id may appear once", i, id, first))
		}
		seen[id] = i
	}
	return nil
}

// checkEntry refuses an id, URL or scope that no platform could take: an
// empty one, one over MaxIDBytes, or one holding whitespace or a control
// character (a URL writes a space as %20). name says where the entry is in the request.
func checkEntry(name, entry string) error {
	if strings.TrimSpace(entry) == "" {
		return BadRequest(client.CodeInvalidRequest, name+" is empty")
	}
	if len(entry) > MaxIDBytes {
		return BadRequest(client.CodeInvalidRequest, fmt.Sprintf("%s is %d bytes long, over the limit of %d; no platform's ids or product page URLs are that long", name, len(entry), MaxIDBytes))
	}
	for at, r := range entry {
		what := ""
		switch {
		case unicode.IsSpace(r):
			what = "whitespace"
		case unicode.IsControl(r) || r == utf8.RuneError:
			what = "a control character"
		default:
			continue
		}
		return BadRequest(client.CodeInvalidRequest, fmt.Sprintf("%s %q holds %s (%q at byte %d); ids and URLs cannot, so check how the list was split", name, entry, what, r, at))
	}
	return nil
}

func (s *Server) jobs(w http.ResponseWriter, r *http.Request) (any, error) {
	q := r.URL.Query()
	var opts client.JobListOptions
	var err error
	if opts.State, err = queryEnum(q, "state", client.JobStates); err != nil {
		return nil, err
	}
	if opts.Limit, err = queryInt(q, "limit", DefaultJobLimit, 1, MaxListLimit); err != nil {
		return nil, err
	}
	opts.Platform = q.Get("platform")
	list, err := s.backend.Jobs(r.Context(), opts)
	if err != nil {
		return nil, err
	}
	for i := range list {
		fillPending(&list[i])
	}
	return nonNil(list), nil
}

func (s *Server) job(w http.ResponseWriter, r *http.Request) (any, error) {
	wait, err := queryWait(r.URL.Query())
	if err != nil {
		return nil, err
	}
	id, err := jobID(r)
	if err != nil {
		return nil, err
	}
	job, err := s.backend.Job(r.Context(), id, wait)
	if err != nil {
		return nil, err
	}
	if job == nil {
		return nil, fmt.Errorf("backend returned no job %s and no error", id)
	}
	fillPending(job)
	w.Header().Set(client.HeaderIndex, strconv.FormatUint(job.Index, 10))
	return job, nil
}

// jobID reads the {id} of a job route. The mux unescapes the path, so
// /v1/jobs/a%2fb names "a/b": no job id holds a slash (it is a segment of
// the store's keys), and such an id is the caller's mistake, not the
// store's failure.
func jobID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if strings.Contains(id, "/") {
		return "", BadRequest(client.CodeInvalidID, fmt.Sprintf("job id %q holds a slash; job ids never do", id))
	}
	if err := checkEntry("job id", id); err != nil {
		e := err.(*Error) // checkEntry makes a new one each time
		e.Code = client.CodeInvalidID
		return "", e
	}
	return id, nil
}

func (s *Server) cancelJob(w http.ResponseWriter, r *http.Request) (any, error) {
	id, err := jobID(r)
	if err != nil {
		return nil, err
	}
	job, err := s.backend.CancelJob(r.Context(), id)
	if err != nil {
		return nil, err
	}
	fillPending(job)
	return job, nil
}

func (s *Server) jobItems(w http.ResponseWriter, r *http.Request) (any, error) {
	q := r.URL.Query()
	var opts client.ItemListOptions
	var err error
	if opts.State, err = queryEnum(q, "state", client.ItemStates); err != nil {
		return nil, err
	}
	if opts.After, err = queryInt(q, "after", 0, 0, 1<<31-1); err != nil {
		return nil, err
	}
	if opts.Limit, err = queryInt(q, "limit", DefaultItemLimit, 1, MaxListLimit); err != nil {
		return nil, err
	}
	id, err := jobID(r)
	if err != nil {
		return nil, err
	}
	page, err := s.backend.JobItems(r.Context(), id, opts)
	if err != nil {
		return nil, err
	}
	if page == nil {
		page = &client.ItemPage{}
	}
	page.Items = nonNil(page.Items)
	return page, nil
}

func (s *Server) products(w http.ResponseWriter, r *http.Request) (any, error) {
	q := r.URL.Query()
	opts := client.ProductListOptions{Platform: q.Get("platform"), Cursor: q.Get("cursor")}
	var err error
	if opts.Limit, err = queryInt(q, "limit", DefaultProductLimit, 1, MaxListLimit); err != nil {
		return nil, err
	}
	page, err := s.backend.Products(r.Context(), opts)
	if err != nil {
		return nil, err
	}
	if page == nil {
		page = &client.ProductPage{}
	}
	page.Products = nonNil(page.Products)
	return page, nil
}

func (s *Server) product(w http.ResponseWriter, r *http.Request) (any, error) {
	raw := r.PathValue("id")
	if len(raw) > MaxIDBytes {
		return nil, BadRequest(client.CodeInvalidID, fmt.Sprintf("product id is %d bytes long, over the limit of %d", len(raw), MaxIDBytes))
	}
	platform, id, scoped := strings.Cut(raw, ":")
	if !scoped || strings.HasPrefix(id, "//") {
		// A bare id, or a product page URL (https://...), which the
		// backend resolves on whichever platform knows it.
		platform, id, scoped = "", raw, false
	}
	if scoped && (platform == "" || id == "") {
		return nil, BadRequest(client.CodeInvalidRequest, fmt.Sprintf("product id %q has an empty part; use platform:id (sandbox:100001) or a bare id", raw))
	}
	return s.backend.Product(r.Context(), platform, id)
}

// fillPending derives Pending from the counters, so a backend need not.
func fillPending(j *client.Job) {
	if j == nil {
		return
	}
	j.Pending = max(j.Total-j.Succeeded-j.Failed, 0)
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}
