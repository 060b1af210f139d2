package sim

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/marketsync/marketsync/sdk/faultinject"
	"github.com/marketsync/marketsync/sdk/simkit"
)

// APIVersion is the one Admin API version the simulator answers, the one
// the plugin pins.
const APIVersion = "2026-04"

// Defaults of Options.
const (
	DefaultShop     = "marketsync-sim.myshopify.com"
	DefaultToken    = "shpat_00000000000000000000000000sim0"
	DefaultSecret   = "sim-client-secret"
	DefaultCurrency = "USD"
	// DefaultBucketSize and DefaultRestoreRate are the bucket of the
	// throttled answers Shopify documents (maximumAvailable 1000,
	// restoreRate 50). The rate-limits page now lists 100 points a second
	// for the Standard plan; Options sets either.
	DefaultBucketSize  = 1000
	DefaultRestoreRate = 50
	// MaxQueryCost is the single query limit: a document whose requested
	// cost is above it fails with MAX_COST_EXCEEDED.
	MaxQueryCost = 1000
	// MutationCost is the documented default cost of a mutation field.
	MutationCost = 10
	// LocationID is the store's one location.
	LocationID = "gid://shopify/Location/1"
	// MaxTitle is the longest product title Shopify accepts.
	MaxTitle = 255
)

// Options configures a simulator; zero values take the defaults.
type Options struct {
	Shop, Token string
	// Secret is the app's client secret, the webhook signing key.
	Secret   string
	Currency string
	// BucketSize and RestoreRate shape the cost bucket.
	BucketSize, RestoreRate float64
	// WebhookURL receives a signed delivery for every change; empty keeps
	// them in Deliveries only.
	WebhookURL string
	// BulkPolls is how many polls a bulk operation answers RUNNING before
	// COMPLETED (default 1).
	BulkPolls int
	// Now is the store's clock (the bucket, timestamps, fault windows);
	// After waits for slow faults.
	Now       func() time.Time
	After     func(time.Duration) <-chan time.Time
	FaultSeed uint64
}

// Stats counts what the store served behind the fault injector.
type Stats struct {
	// Requests is every HTTP request: GraphQL documents, uploads and
	// downloads.
	Requests int64
	// Documents is every GraphQL document.
	Documents int64
	// Fields counts root fields run, by name.
	Fields map[string]int64
	// Throttled counts documents refused with THROTTLED.
	Throttled int64
	// Points is the actual cost of every document run.
	Points float64
	// Uploads and Downloads count staged uploads and result downloads.
	Uploads, Downloads int64
}

// Delivery is one webhook as sent.
type Delivery struct {
	Header http.Header
	Body   []byte
	// Err is the error posting it to WebhookURL, if any.
	Err error
}

// Server is a simulated store. Its methods are safe while it serves.
type Server struct {
	opts    Options
	gw      *simkit.Gateway
	bucket  *bucket
	handler http.Handler
	hooks   *http.Client

	mu       sync.Mutex
	seq      int64
	products map[int64]*product
	order    []int64
	stock    map[int64]int64 // inventory item → available at LocationID
	idem     map[string]json.RawMessage
	races    map[int64]int64 // inventory item → quantity set just before the next write
	uploads  map[string][]byte
	bulks    map[int64]*bulkOp
	// bulkRunning is set while a bulk mutation executes.
	bulkRunning bool
	stats       Stats
	deliveries  []Delivery
	fence       *simkit.Fence
}

type product struct {
	id          int64
	title       string
	description string
	status      string
	options     []option
	variants    []*variant
	media       []string
	metafields  []metafield
	updated     time.Time
}

type option struct {
	Name   string   `json:"name"`
	Values []string `json:"values"`
}

type variant struct {
	id, item  int64
	sku       string
	price     string
	compareAt string // "" when none
	barcode   string
	options   []selected
}

type selected struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type metafield struct {
	Namespace string `json:"namespace"`
	Key       string `json:"key"`
	Type      string `json:"type"`
	Value     string `json:"value"`
}

// New returns a store with no products.
func New(o Options) *Server {
	if o.Shop == "" {
		o.Shop = DefaultShop
	}
	if o.Token == "" {
		o.Token = DefaultToken
	}
	if o.Secret == "" {
		o.Secret = DefaultSecret
	}
	if o.Currency == "" {
		o.Currency = DefaultCurrency
	}
	if o.BucketSize <= 0 {
		o.BucketSize = DefaultBucketSize
	}
	if o.RestoreRate <= 0 {
		o.RestoreRate = DefaultRestoreRate
	}
	if o.BulkPolls <= 0 {
		o.BulkPolls = 1
	}
	s := &Server{
		opts: o, products: map[int64]*product{}, stock: map[int64]int64{}, idem: map[string]json.RawMessage{},
		races: map[int64]int64{}, uploads: map[string][]byte{}, bulks: map[int64]*bulkOp{},
		hooks: &http.Client{Timeout: 5 * time.Second}, fence: simkit.NewFence(),
	}
	s.stats = newStats()
	s.gw = simkit.NewGateway(simkit.GatewayOptions{Clock: simkit.ClockOf(o.Now), After: o.After, FaultSeed: o.FaultSeed, Burst: 1})
	s.bucket = newBucket(o.BucketSize, o.RestoreRate, s.gw.Now())
	mux := http.NewServeMux()
	mux.HandleFunc("POST /admin/api/{version}/graphql.json", s.serveGraphQL)
	mux.HandleFunc("POST /staged/{n}", s.serveUpload)
	mux.HandleFunc("GET /bulk/{n}", s.serveResult)
	mux.HandleFunc("POST /sim/admin/products/{id}", s.serveMerchant)
	s.handler = s.gw.Wrap(mux)
	return s
}

func newStats() Stats { return Stats{Fields: map[string]int64{}} }

// Handler is the store behind its fault injector.
func (s *Server) Handler() http.Handler { return s.handler }

// Injector is the fault injector in front of the store.
func (s *Server) Injector() *faultinject.Injector { return s.gw.Faults }

// Options returns the options in force, defaults applied.
func (s *Server) Options() Options { return s.opts }

// SetBucket replaces the cost bucket (size points, rate a second), full.
func (s *Server) SetBucket(size, rate float64) { s.bucket.set(size, rate, s.gw.Now()) }

// Available is the points the bucket holds now.
func (s *Server) Available() float64 {
	s.bucket.mu.Lock()
	defer s.bucket.mu.Unlock()
	s.bucket.refill(s.gw.Now())
	return s.bucket.available
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Fields = maps.Clone(s.stats.Fields)
	return st
}

// ResetStats zeroes the counters.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = newStats()
}

// Deliveries returns the webhooks sent so far.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

func (s *Server) count(f func(*Stats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.stats)
}

func gid(kind string, id int64) string {
	return "gid://shopify/" + kind + "/" + strconv.FormatInt(id, 10)
}

// parseGID reads the number of a gid://shopify/<kind>/<n>.
func parseGID(kind string, g string) (int64, bool) {
	rest, ok := strings.CutPrefix(g, "gid://shopify/"+kind+"/")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	return n, err == nil && n > 0
}

func (s *Server) next() int64 {
	s.seq++
	return s.seq
}

// ProductCount is how many products the store holds.
func (s *Server) ProductCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.products)
}

// Stock returns the available quantity of the variant with sku in the
// product, and whether there is one.
func (s *Server) Stock(productGID, sku string) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.variantLocked(productGID, sku)
	if v == nil {
		return 0, false
	}
	return s.stock[v.item], true
}

// Price returns the price of the variant with sku in the product.
func (s *Server) Price(productGID, sku string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.variantLocked(productGID, sku)
	if v == nil {
		return "", false
	}
	return v.price, true
}

// CompareAt returns the compare-at price of the variant with sku in the
// product, "" when it has none.
func (s *Server) CompareAt(productGID, sku string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.variantLocked(productGID, sku)
	if v == nil {
		return "", false
	}
	return v.compareAt, true
}

// Status returns the product's status (ACTIVE, ARCHIVED or DRAFT).
func (s *Server) Status(productGID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _ := parseGID("Product", productGID)
	if p := s.products[id]; p != nil {
		return p.status, true
	}
	return "", false
}

func (s *Server) variantLocked(productGID, sku string) *variant {
	id, _ := parseGID("Product", productGID)
	p := s.products[id]
	if p == nil {
		return nil
	}
	for _, v := range p.variants {
		if v.sku == sku {
			return v
		}
	}
	return nil
}

// MerchantSetStock changes a variant's stock as the merchant would in the
// admin: at once, with an inventory_levels/update webhook.
func (s *Server) MerchantSetStock(productGID, sku string, qty int64) error {
	s.mu.Lock()
	v := s.variantLocked(productGID, sku)
	if v == nil {
		s.mu.Unlock()
		return fmt.Errorf("no variant %s in %s", sku, productGID)
	}
	s.stock[v.item] = qty
	hook := s.inventoryHookLocked(v.item)
	s.mu.Unlock()
	s.deliver(hook)
	return nil
}

// RaceStock makes the merchant set the variant's stock to qty just before
// the next inventorySetQuantities that touches it, as if the two raced:
// a write based on the quantity read before then is stale.
func (s *Server) RaceStock(productGID, sku string, qty int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.variantLocked(productGID, sku)
	if v == nil {
		return fmt.Errorf("no variant %s in %s", sku, productGID)
	}
	s.races[v.item] = qty
	return nil
}

// MerchantSetTitle retitles a product as the merchant would, with a
// products/update webhook.
func (s *Server) MerchantSetTitle(productGID, title string) error {
	id, _ := parseGID("Product", productGID)
	s.mu.Lock()
	p := s.products[id]
	if p == nil {
		s.mu.Unlock()
		return fmt.Errorf("no product %s", productGID)
	}
	p.title, p.updated = title, s.gw.Now()
	hook := s.productHookLocked("products/update", p)
	s.mu.Unlock()
	s.deliver(hook)
	return nil
}

// serveMerchant is the test-only admin endpoint: POST
// /sim/admin/products/<n> with {"title": "...", "stock": {"<sku>": n}}
// changes the product as the merchant would.
func (s *Server) serveMerchant(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Title *string          `json:"title"`
		Stock map[string]int64 `json:"stock"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	g := "gid://shopify/Product/" + r.PathValue("id")
	if in.Title != nil {
		if err := s.MerchantSetTitle(g, *in.Title); err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
	}
	for sku, n := range in.Stock {
		if err := s.MerchantSetStock(g, sku, n); err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}
