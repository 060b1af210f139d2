package httpclient

import (
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// proxyKey carries the *proxyEntry chosen for one Do call to the
// transport's Proxy function. Choosing in Do rather than in the Proxy
// function lets Do know which proxy a failure belongs to.
type proxyKey struct{}

func proxyFromContext(req *http.Request) (*url.URL, error) {
	if p, ok := req.Context().Value(proxyKey{}).(*proxyEntry); ok {
		return p.url, nil
	}
	return nil, nil
}

type proxyEntry struct {
	url *url.URL
	// failedAt is when a connection through it last failed; zero while it
	// is healthy. Guarded by proxyPool.mu.
	failedAt time.Time
}

// proxyPool keeps using one proxy until a connection through it fails, then
// moves to the next that is not cooling down.
type proxyPool struct {
	cooldown time.Duration

	mu      sync.Mutex
	entries []*proxyEntry
	current int
}

func newProxyPool(raw []string, cooldown time.Duration) (*proxyPool, error) {
	p := &proxyPool{cooldown: cooldown}
	for _, s := range raw {
		u, err := url.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("proxy %q: %w", s, err)
		}
		switch u.Scheme {
		case "http", "https", "socks5", "socks5h":
		default:
			return nil, fmt.Errorf("proxy %s: scheme must be http, https, socks5 or socks5h", u.Redacted())
		}
		if u.Host == "" {
			return nil, fmt.Errorf("proxy %s: no host", u.Redacted())
		}
		p.entries = append(p.entries, &proxyEntry{url: u})
	}
	return p, nil
}

// pick returns the proxy for the next request: the current one if it is not
// cooling down, else the next one in order that is not, else the one that
// failed longest ago.
func (p *proxyPool) pick(now time.Time) *proxyEntry {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.entries)
	for i := range n {
		j := (p.current + i) % n
		e := p.entries[j]
		if e.failedAt.IsZero() || now.Sub(e.failedAt) >= p.cooldown {
			p.current = j
			return e
		}
	}
	oldest := 0
	for j, e := range p.entries {
		if e.failedAt.Before(p.entries[oldest].failedAt) {
			oldest = j
		}
	}
	p.current = oldest
	return p.entries[oldest]
}

// failed takes e out of rotation for the cool-down.
func (p *proxyPool) failed(e *proxyEntry, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e.failedAt = now
	if p.entries[p.current] == e {
		p.current = (p.current + 1) % len(p.entries)
	}
}

// succeeded puts e back into rotation at once: a connection through it
// worked.
func (p *proxyPool) succeeded(e *proxyEntry) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e.failedAt = time.Time{}
}
