package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/marketsync/marketsync/daemon/outbox"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/oklog/ulid/v2"
	"golang.org/x/time/rate"
)

// Resyncer is told which remote products a platform says changed, to
// re-sync them and check them for conflicts. The sync engine implements
// it; Changed should queue the work and return.
type Resyncer interface {
	Changed(ctx context.Context, platform string, remoteIDs []string) error
}

// Delivery is one request a platform pushed: header names in lower case
// (a repeated header's values joined with ", "), the body byte for byte.
type Delivery struct {
	Headers map[string]string
	Body    []byte
}

// Event is what a verified delivery says happened.
type Event struct {
	DeliveryID string
	Topic      string
	RemoteIDs  []string
	OccurredAt time.Time
}

// Verifier has the platform's plugin check a delivery. A delivery that
// is not genuine or cannot be read is a *Refused error; any other error
// means it could not be checked now (the plugin is restarting, the
// deadline passed) and the platform should send it again.
type Verifier func(ctx context.Context, platform string, d Delivery) (Event, error)

// Refused is a delivery the plugin refused: not genuine (Auth: a bad or
// missing signature) or unreadable.
type Refused struct {
	Auth    bool
	Code    string
	Message string
}

func (e *Refused) Error() string { return e.Code + ": " + e.Message }

// RateLimited is the error of a delivery over its platform's rate: the
// platform should send it again after RetryAfter.
type RateLimited struct{ RetryAfter time.Duration }

func (e *RateLimited) Error() string {
	return fmt.Sprintf("over the webhook rate of this platform; retry after %s", e.RetryAfter)
}

// Observer is told what happens to deliveries and their events (metrics).
//
// Received outcomes: accepted, duplicate, refused, rate_limited, error.
// Handled outcomes, per event: resynced, unhandled (no Resyncer),
// no_products (the event names no product), failed (Changed failed;
// the events are kept and retried).
type Observer interface {
	WebhookReceived(platform, outcome string)
	WebhookHandled(platform, outcome string, events int)
}

// Options configure a Receiver.
type Options struct {
	DB     *store.DB
	Verify Verifier
	// Resyncer handles verified events; nil until a sync engine runs:
	// events are then logged, counted as unhandled and dropped.
	Resyncer Resyncer
	Observer Observer // nil: none
	Logger   *slog.Logger
	Clock    Clock
	// DedupeTTL is how long a delivery is remembered; default
	// DefaultDedupeTTL.
	DedupeTTL time.Duration
	// Rate and Burst limit the deliveries taken per platform, before
	// any is verified; defaults DefaultRate and DefaultBurst.
	Rate  float64
	Burst int
	// BaseDelay and MaxDelay bound the backoff of a platform whose
	// events the Resyncer failed; defaults 1 s and 5 min.
	BaseDelay, MaxDelay time.Duration
}

// Defaults of Options.
const (
	// DefaultDedupeTTL outlasts the platforms' redelivery: Shopify
	// retries a failed delivery 8 times over 4 hours
	// (https://shopify.dev/docs/apps/build/webhooks/troubleshooting-webhooks),
	// WooCommerce does not retry but its delivery ids repeat a second's
	// hash; a day and a half of margin covers an agent that was down.
	DefaultDedupeTTL = 48 * time.Hour
	DefaultRate      = 50
	DefaultBurst     = 200
	// sweepEvery is how often expired marks are deleted.
	sweepEvery = time.Hour
	// readBatch is how many queued events one round reads.
	readBatch = 1000
)

// Clock is the time a Receiver runs on (the outbox's: Now and After);
// tests pass a fake one.
type Clock = outbox.Clock

// Receiver takes verified deliveries and hands their events on.
type Receiver struct {
	o        Options
	log      *slog.Logger
	resyncer atomic.Pointer[Resyncer]
	wake     chan struct{}

	mu       sync.Mutex // guards limiters
	limiters map[string]*rate.Limiter

	handling sync.Mutex           // one HandleDue at a time; guards the maps below
	failures map[string]int       // platform → consecutive failed rounds
	retryAt  map[string]time.Time // platform → when its events are tried again
}

// New returns a Receiver; Run hands on what it records.
func New(o Options) *Receiver {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = outbox.SystemClock
	}
	if o.DedupeTTL <= 0 {
		o.DedupeTTL = DefaultDedupeTTL
	}
	if o.Rate <= 0 {
		o.Rate = DefaultRate
	}
	if o.Burst <= 0 {
		o.Burst = DefaultBurst
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = time.Second
	}
	if o.MaxDelay < o.BaseDelay {
		o.MaxDelay = max(5*time.Minute, o.BaseDelay)
	}
	r := &Receiver{o: o, log: o.Logger.With("component", "webhooks"), wake: make(chan struct{}, 1),
		limiters: map[string]*rate.Limiter{}, failures: map[string]int{}, retryAt: map[string]time.Time{}}
	if o.Resyncer != nil {
		r.SetResyncer(o.Resyncer)
	}
	return r
}

// SetResyncer hands the events from now on to rs (nil: to nobody).
func (r *Receiver) SetResyncer(rs Resyncer) {
	if rs == nil {
		r.resyncer.Store(nil)
		return
	}
	r.resyncer.Store(&rs)
}

// Outcome is what Receive did with a genuine delivery.
type Outcome string

const (
	Accepted  Outcome = "accepted"  // recorded, to be handed on
	Duplicate Outcome = "duplicate" // taken before: nothing done
)

// Receive verifies d, a delivery from platform, and records its event
// unless it was taken within DedupeTTL. It answers as soon as the event
// is stored: the Resyncer runs later, in Run. Errors: *RateLimited,
// *Refused, or a failure to verify or store (the platform should retry).
func (r *Receiver) Receive(ctx context.Context, platform string, d Delivery) (Outcome, Event, error) {
	if res := r.limiter(platform).ReserveN(r.o.Clock.Now(), 1); res.DelayFrom(r.o.Clock.Now()) > 0 {
		wait := res.DelayFrom(r.o.Clock.Now())
		res.CancelAt(r.o.Clock.Now())
		r.observe(platform, "rate_limited")
		return "", Event{}, &RateLimited{RetryAfter: wait}
	}
	ev, err := r.o.Verify(ctx, platform, d)
	var refused *Refused
	switch {
	case errors.As(err, &refused):
		r.observe(platform, "refused")
		r.log.Warn("webhook delivery refused", "platform", platform, "code", refused.Code, "reason", refused.Message)
		return "", Event{}, err
	case err != nil:
		r.observe(platform, "error")
		r.log.Error("webhook delivery not verified; the platform will send it again", "platform", platform, "error", err)
		return "", Event{}, err
	case ev.DeliveryID == "":
		r.observe(platform, "refused")
		return "", Event{}, &Refused{Code: "no_delivery_id", Message: "the plugin found no delivery id in the delivery, so it could not be deduplicated"}
	}
	out, err := r.record(platform, ev, d.Body)
	if err != nil {
		r.observe(platform, "error")
		r.log.Error("webhook delivery not recorded; the platform will send it again", "platform", platform, "delivery", ev.DeliveryID, "error", err)
		return "", Event{}, err
	}
	r.observe(platform, string(out))
	if out == Accepted {
		r.Notify()
	}
	r.log.Debug("webhook delivery", "platform", platform, "delivery", ev.DeliveryID, "topic", ev.Topic, "remote_ids", ev.RemoteIDs, "outcome", out)
	return out, ev, nil
}

func (r *Receiver) limiter(platform string) *rate.Limiter {
	r.mu.Lock()
	defer r.mu.Unlock()
	l, ok := r.limiters[platform]
	if !ok {
		l = rate.NewLimiter(rate.Limit(r.o.Rate), r.o.Burst)
		r.limiters[platform] = l
	}
	return l
}

func (r *Receiver) observe(platform, outcome string) {
	if r.o.Observer != nil {
		r.o.Observer.WebhookReceived(platform, outcome)
	}
}

func (r *Receiver) handled(platform, outcome string, n int) {
	if r.o.Observer != nil && n > 0 {
		r.o.Observer.WebhookHandled(platform, outcome, n)
	}
}

// record stores the delivery's mark and its event in one transaction,
// unless a live mark says it was taken.
func (r *Receiver) record(platform string, ev Event, body []byte) (Outcome, error) {
	now := r.o.Clock.Now()
	out := Accepted
	err := r.o.DB.Update(func(txn *store.Txn) error {
		out = Accepted
		key := markKey(platform, ev.DeliveryID, body)
		m, err := getMark(txn, key)
		if err != nil {
			return err
		}
		if m != nil && m.ExpiresAt.After(now) {
			out = Duplicate
			return nil
		}
		if err := put(txn, key, mark{DeliveryID: ev.DeliveryID, Topic: ev.Topic, ReceivedAt: now, ExpiresAt: now.Add(r.o.DedupeTTL)}); err != nil {
			return err
		}
		id, err := ulid.New(ulid.Timestamp(now), ulid.DefaultEntropy())
		if err != nil {
			return err
		}
		return put(txn, queueKey(id.String()), queued{Platform: platform, DeliveryID: ev.DeliveryID, Topic: ev.Topic,
			RemoteIDs: ev.RemoteIDs, OccurredAt: ev.OccurredAt, ReceivedAt: now})
	})
	return out, err
}

// Notify wakes Run.
func (r *Receiver) Notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run hands recorded events to the Resyncer until ctx ends: those left
// by a previous run first, then each as it is recorded; it deletes
// expired delivery marks at start and every hour.
func (r *Receiver) Run(ctx context.Context) error {
	nextSweep := r.o.Clock.Now()
	for {
		if now := r.o.Clock.Now(); !now.Before(nextSweep) {
			if n, err := r.Sweep(now); err != nil {
				r.log.Error("cannot delete expired webhook delivery marks", "error", err)
			} else if n > 0 {
				r.log.Debug("deleted expired webhook delivery marks", "count", n)
			}
			nextSweep = now.Add(sweepEvery)
		}
		next, err := r.HandleDue(ctx)
		if err != nil && ctx.Err() == nil {
			r.log.Error("cannot read recorded webhook events", "error", err)
			next = r.o.Clock.Now().Add(r.o.BaseDelay)
		}
		if next.IsZero() || nextSweep.Before(next) {
			next = nextSweep
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.wake:
		case <-r.o.Clock.After(next.Sub(r.o.Clock.Now())):
		}
	}
}

// HandleDue hands every recorded event of a platform that is not backing
// off to the Resyncer, one call per platform with the distinct remote
// ids of its events, and deletes them once it accepted them. It returns
// when the earliest platform backing off is due (zero when none).
func (r *Receiver) HandleDue(ctx context.Context) (time.Time, error) {
	r.handling.Lock()
	defer r.handling.Unlock()
	type group struct {
		keys [][]byte
		ids  []string
		n    int
	}
	groups := map[string]*group{}
	var order []string
	now := r.o.Clock.Now()
	err := r.o.DB.View(func(txn *store.Txn) error {
		return txn.Scan(ns, store.Range{Prefix: []byte("q/"), Limit: readBatch}, func(k, v []byte) error {
			var q queued
			if err := json.Unmarshal(v, &q); err != nil {
				return fmt.Errorf("webhook: decode %s: %w", k, err)
			}
			if at, ok := r.retryAt[q.Platform]; ok && now.Before(at) {
				return nil
			}
			g := groups[q.Platform]
			if g == nil {
				g = &group{}
				groups[q.Platform] = g
				order = append(order, q.Platform)
			}
			g.keys = append(g.keys, slices.Clone(k))
			g.n++
			for _, id := range q.RemoteIDs {
				if !slices.Contains(g.ids, id) {
					g.ids = append(g.ids, id)
				}
			}
			return nil
		})
	})
	if err != nil {
		return time.Time{}, err
	}
	rs := r.resyncer.Load()
	for _, platform := range order {
		g := groups[platform]
		switch {
		case len(g.ids) == 0:
			r.log.Debug("webhook events name no product; nothing to re-sync", "platform", platform, "events", g.n)
			r.handled(platform, "no_products", g.n)
		case rs == nil:
			r.log.Info("webhook events recorded, but no sync pipeline handles them", "platform", platform, "events", g.n, "remote_ids", g.ids)
			r.handled(platform, "unhandled", g.n)
		default:
			if err := (*rs).Changed(ctx, platform, g.ids); err != nil {
				if ctx.Err() != nil {
					return time.Time{}, ctx.Err()
				}
				r.backOff(platform, g.n, err)
				continue
			}
			r.handled(platform, "resynced", g.n)
		}
		delete(r.failures, platform)
		delete(r.retryAt, platform)
		if err := r.o.DB.Update(func(txn *store.Txn) error {
			for _, k := range g.keys {
				if err := txn.Delete(ns, k); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return time.Time{}, err
		}
	}
	var next time.Time
	for _, at := range r.retryAt {
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return next, nil
}

// backOff keeps a platform's events for a later round after the
// Resyncer failed them.
func (r *Receiver) backOff(platform string, n int, cause error) {
	r.failures[platform]++
	f := r.failures[platform]
	delay := r.o.BaseDelay
	for i := 1; i < f && delay < r.o.MaxDelay; i++ {
		delay *= 2
	}
	delay = min(delay, r.o.MaxDelay)
	r.retryAt[platform] = r.o.Clock.Now().Add(delay)
	r.handled(platform, "failed", n)
	r.log.Warn("re-sync of webhook events failed; they are kept and tried again", "platform", platform, "events", n,
		"failures", f, "retry_in", delay, "error", cause)
}

// Pending counts the events recorded and not yet handed on.
func (r *Receiver) Pending() (int, error) {
	n := 0
	err := r.o.DB.View(func(txn *store.Txn) error {
		return txn.Scan(ns, store.Range{Prefix: []byte("q/"), KeysOnly: true}, func(_, _ []byte) error {
			n++
			return nil
		})
	})
	return n, err
}

// Sweep deletes the delivery marks that expired at or before now and
// returns how many. They are stored without Badger's TTL: an entry that
// expired while the agent was stopped would change the record counts the
// store checks at start.
func (r *Receiver) Sweep(now time.Time) (int, error) {
	var expired [][]byte
	err := r.o.DB.View(func(txn *store.Txn) error {
		return txn.Scan(ns, store.Range{Prefix: []byte("d/")}, func(k, v []byte) error {
			var m mark
			if err := json.Unmarshal(v, &m); err != nil || !m.ExpiresAt.After(now) {
				expired = append(expired, slices.Clone(k))
			}
			return nil
		})
	})
	if err != nil || len(expired) == 0 {
		return 0, err
	}
	for chunk := range slices.Chunk(expired, 1000) {
		if err := r.o.DB.Update(func(txn *store.Txn) error {
			for _, k := range chunk {
				if err := txn.Delete(ns, k); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return 0, err
		}
	}
	return len(expired), nil
}

var ns = store.Register("webhook/")

// mark says a delivery was taken.
type mark struct {
	DeliveryID string    `json:"delivery_id"`
	Topic      string    `json:"topic"`
	ReceivedAt time.Time `json:"received_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// queued is a verified event waiting for the Resyncer.
type queued struct {
	Platform   string    `json:"platform"`
	DeliveryID string    `json:"delivery_id"`
	Topic      string    `json:"topic"`
	RemoteIDs  []string  `json:"remote_ids,omitempty"`
	OccurredAt time.Time `json:"occurred_at,omitzero"`
	ReceivedAt time.Time `json:"received_at"`
}

// Keys, relative to the namespace:
//
//	d/<platform>/<sha256 of delivery id, NUL, body>  → mark (JSON)
//	q/<ulid>                                        → queued (JSON), in arrival order
//
// The mark hashes the body with the id because WooCommerce's delivery id
// is a hash of the webhook and the second, so two changes within a second
// share it (plugins/woocommerce/README.md, "Webhooks"); a redelivery
// repeats both.
func markKey(platform, deliveryID string, body []byte) []byte {
	h := sha256.New()
	h.Write([]byte(deliveryID))
	h.Write([]byte{0})
	h.Write(body)
	return []byte("d/" + platform + "/" + hex.EncodeToString(h.Sum(nil)))
}

func queueKey(id string) []byte { return []byte("q/" + id) }

func getMark(txn *store.Txn, key []byte) (*mark, error) {
	v, err := txn.Get(ns, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m mark
	if err := json.Unmarshal(v, &m); err != nil {
		return nil, nil // unreadable: taken as absent, and overwritten
	}
	return &m, nil
}

func put(txn *store.Txn, key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return txn.Set(ns, key, b)
}
