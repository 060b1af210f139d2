package sim

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Headers of a delivery (WC_Webhook::deliver).
const (
	HeaderSource     = "X-WC-Webhook-Source"
	HeaderTopic      = "X-WC-Webhook-Topic"
	HeaderResource   = "X-WC-Webhook-Resource"
	HeaderEvent      = "X-WC-Webhook-Event"
	HeaderSignature  = "X-WC-Webhook-Signature"
	HeaderWebhookID  = "X-WC-Webhook-ID"
	HeaderDeliveryID = "X-WC-Webhook-Delivery-ID"
)

// webhookID is the id of the one webhook the store has, subscribed to the
// product topics.
const webhookID = 1

// Delivery is one webhook delivery as the store sent it (or would have,
// without a WebhookURL).
type Delivery struct {
	Header http.Header
	Body   []byte
	// Status is the receiver's answer, 0 when it was not sent or failed.
	Status int
}

// Sign is WC_Webhook::generate_signature: the base64 HMAC-SHA256 of the
// body as sent, keyed with the webhook's secret.
func Sign(body []byte, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// hooks sends deliveries one at a time, in the order of the changes, on
// a goroutine of its own (WooCommerce queues them in the Action Scheduler
// and sends them after the request that made the change).
type hooks struct {
	client *http.Client

	mu      sync.Mutex
	log     []Delivery
	pending []int
	running bool
	seq     int64
}

func newHooks(c *http.Client) *hooks { return &hooks{client: c} }

// change is a product whose topic fired: its payload, built when the
// change was made.
type change struct {
	topic string
	body  []byte
}

// productChange builds the delivery of topic for p: the product as the
// API shows it, or {"id"} for a deletion (WC_Webhook::build_payload).
func productChange(event string, p *Product) change {
	var payload any = p
	if event == "deleted" {
		payload = map[string]int64{"id": p.ID}
	}
	body, _ := json.Marshal(payload)
	return change{topic: "product." + event, body: body}
}

// emit records the deliveries of changes and sends them to url.
func (s *Server) emit(home string, changes []change) {
	if len(changes) == 0 {
		return
	}
	s.mu.Lock()
	url, secret := s.opts.WebhookURL, s.opts.WebhookSecret
	s.mu.Unlock()
	now := s.now()
	h := s.hooks
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range changes {
		h.seq++
		hdr := http.Header{}
		hdr.Set("Content-Type", "application/json")
		hdr.Set("User-Agent", "WooCommerce/9.9.0 Hookshot (WordPress/6.8)")
		hdr.Set(HeaderSource, home+"/")
		hdr.Set(HeaderTopic, c.topic)
		resource, event, _ := strings.Cut(c.topic, ".")
		hdr.Set(HeaderResource, resource)
		hdr.Set(HeaderEvent, event)
		hdr.Set(HeaderSignature, Sign(c.body, secret))
		hdr.Set(HeaderWebhookID, strconv.Itoa(webhookID))
		hdr.Set(HeaderDeliveryID, deliveryID(now, h.seq))
		h.log = append(h.log, Delivery{Header: hdr, Body: c.body})
		if url != "" {
			h.pending = append(h.pending, len(h.log)-1)
		}
	}
	if url != "" && !h.running {
		h.running = true
		go h.send(url)
	}
}

// deliveryID is get_new_delivery_id's wp_hash (an HMAC-MD5 in hex) of
// the webhook's id and the time. WooCommerce hashes the second only, so
// two deliveries of one webhook in the same second share an id; the
// simulator adds a sequence number so that receivers that deduplicate by
// it can be tested.
func deliveryID(now time.Time, seq int64) string {
	mac := hmac.New(md5.New, []byte("sim-wp-salt"))
	fmt.Fprintf(mac, "%d%d#%d", webhookID, now.Unix(), seq)
	return hex.EncodeToString(mac.Sum(nil))
}

func (h *hooks) send(url string) {
	for {
		h.mu.Lock()
		if len(h.pending) == 0 {
			h.running = false
			h.mu.Unlock()
			return
		}
		i := h.pending[0]
		h.pending = h.pending[1:]
		d := h.log[i]
		h.mu.Unlock()

		status := 0
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(d.Body))
		if err == nil {
			req.Header = d.Header.Clone()
			if resp, err := h.client.Do(req); err == nil {
				status = resp.StatusCode
				resp.Body.Close()
			}
		}
		h.mu.Lock()
		h.log[i].Status = status
		h.mu.Unlock()
	}
}

// Deliveries returns every delivery made so far, in order.
func (s *Server) Deliveries() []Delivery {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	out := make([]Delivery, len(s.hooks.log))
	for i, d := range s.hooks.log {
		out[i] = Delivery{Header: d.Header.Clone(), Body: append([]byte(nil), d.Body...), Status: d.Status}
	}
	return out
}
