package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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

// NotTaken is the error of a delivery for a platform whose plugin, as
// configured, takes no webhooks (a WooCommerce store without a
// webhook_secret): the route should answer as for a platform that
// never takes them.
type NotTaken struct {
	Code    string
	Message string
}

func (e *NotTaken) Error() string { return e.Code + ": " + e.Message }

// RateLimited is the error of a delivery over its platform's rate: the
// platform should send it again after RetryAfter.
type RateLimited struct{ RetryAfter time.Duration }

func (e *RateLimited) Error() string {
	return fmt.Sprintf("over the webhook rate of this platform; retry after %s", e.RetryAfter)
}

// Observer is told what happens to deliveries and their events (metrics).
//
// Received outcomes: accepted, duplicate, refused, not_taken,
// rate_limited, error, handed_off (Options.Handoff took it).
// Handled outcomes, per event: resynced, unhandled (no Resyncer),
// no_products (the event names no product), failed (Changed failed;
// the events are kept and retried), undecodable (a stored entry that
// could not be read, deleted; its platform is unknown, so "").
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
	// Handoff, when set, is offered each verified delivery before it is
	// recorded: a cluster node hands one for an account another node
	// owns to that node, whose sync engine acts on it. taken false
	// records it here; taken with an error answers the error (the
	// platform should retry), and nothing is recorded here either way.
	Handoff  func(ctx context.Context, platform string, d Delivery) (_ Outcome, taken bool, _ error)
	Observer Observer // nil: none
	Logger   *slog.Logger
	Clock    Clock
	// DedupeTTL is how long a delivery is remembered; default
	// DefaultDedupeTTL.
	DedupeTTL time.Duration
	// Rate and Burst limit the genuine deliveries taken per platform: a
	// delivery past them is answered RateLimited before it is verified.
	// Refused deliveries spend a separate budget of the same size, so
	// forged posts do not hold up genuine ones. Defaults DefaultRate and
	// DefaultBurst.
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

	mu       sync.Mutex // guards limiters and notTaken
	limiters map[string]limits
	notTaken map[string]bool // platforms whose NotTaken delivery was logged

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
		limiters: map[string]limits{}, notTaken: map[string]bool{}, failures: map[string]int{}, retryAt: map[string]time.Time{}}
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
// *Refused, *NotTaken, or a failure to verify or store (the platform
// should retry).
func (r *Receiver) Receive(ctx context.Context, platform string, d Delivery) (Outcome, Event, error) {
	lim := r.limiter(platform)
	if now := r.o.Clock.Now(); lim.genuine.TokensAt(now) < 1 {
		res := lim.genuine.ReserveN(now, 1)
		wait := res.DelayFrom(now)
		res.CancelAt(now)
		r.observe(platform, "rate_limited")
		return "", Event{}, &RateLimited{RetryAfter: wait}
	}
	ev, err := r.o.Verify(ctx, platform, d)
	var refused *Refused
	if err == nil && ev.DeliveryID == "" {
		err = &Refused{Code: "no_delivery_id", Message: "the plugin found no delivery id in the delivery, so it could not be deduplicated"}
	}
	var notTaken *NotTaken
	if errors.As(err, &notTaken) {
		// Nothing to verify with: logged at WARN once per platform, so
		// the operator learns the store sends deliveries it cannot take.
		r.observe(platform, "not_taken")
		lim.refused.AllowN(r.o.Clock.Now(), 1)
		level := slog.LevelDebug
		if r.firstNotTaken(platform) {
			level = slog.LevelWarn
		}
		r.log.Log(ctx, level, "webhook delivery for a platform that takes no webhooks as configured", "platform", platform,
			"code", notTaken.Code, "reason", notTaken.Message)
		return "", Event{}, err
	}
	if errors.As(err, &refused) {
		// A refused delivery spends its own budget, never the genuine
		// one: forged posts cannot keep the platform's deliveries at 429.
		// Past that budget refusals are still counted, but logged at
		// debug so that a flood of them does not flood the log.
		r.observe(platform, "refused")
		level := slog.LevelWarn
		if !lim.refused.AllowN(r.o.Clock.Now(), 1) {
			level = slog.LevelDebug
		}
		r.log.Log(ctx, level, "webhook delivery refused", "platform", platform, "code", refused.Code, "reason", refused.Message)
		return "", Event{}, err
	}
	// Spent after verification; a concurrent delivery may take the
	// budget below zero, which only delays the next ones.
	lim.genuine.ReserveN(r.o.Clock.Now(), 1)
	if err != nil {
		r.observe(platform, "error")
		r.log.Error("webhook delivery not verified; the platform will send it again", "platform", platform, "error", err)
		return "", Event{}, err
	}
	if r.o.Handoff != nil {
		if out, taken, err := r.o.Handoff(ctx, platform, d); taken {
			if err != nil {
				r.observe(platform, "error")
				return "", Event{}, err
			}
			r.observe(platform, "handed_off")
			r.log.Debug("webhook delivery handed off", "platform", platform, "delivery", ev.DeliveryID, "topic", ev.Topic, "outcome", out)
			return out, ev, nil
		}
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

// limits are a platform's two delivery budgets: one spent by the
// deliveries found genuine (or that could not be checked), one by those
// refused.
type limits struct{ genuine, refused *rate.Limiter }

func (r *Receiver) limiter(platform string) limits {
	r.mu.Lock()
	defer r.mu.Unlock()
	l, ok := r.limiters[platform]
	if !ok {
		l = limits{rate.NewLimiter(rate.Limit(r.o.Rate), r.o.Burst), rate.NewLimiter(rate.Limit(r.o.Rate), r.o.Burst)}
		r.limiters[platform] = l
	}
	return l
}

// firstNotTaken reports whether this is the first NotTaken delivery of
// platform.
func (r *Receiver) firstNotTaken(platform string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.notTaken[platform] {
		return false
	}
	r.notTaken[platform] = true
	return true
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
