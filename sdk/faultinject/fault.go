package faultinject

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Kind names a kind of fault, for counting.
type Kind int

const (
	// KindTooManyRequests: 429 with Retry-After.
	KindTooManyRequests Kind = iota + 1
	// KindStatus: an error status chosen by the rule, usually 5xx.
	KindStatus
	// KindReset: the connection is reset before any response.
	KindReset
	// KindSlow: the answer is held back, then the real one is given.
	KindSlow
	// KindTruncated: 200 with the real body cut in half.
	KindTruncated
	// KindGarbage: 200 with bytes that parse as nothing.
	KindGarbage
	// KindErrorBody: 200 with a body the rule builds, such as a platform
	// error code inside JSON.
	KindErrorBody
)

var kindNames = [...]string{
	KindTooManyRequests: "too_many_requests",
	KindStatus:          "status",
	KindReset:           "reset",
	KindSlow:            "slow",
	KindTruncated:       "truncated",
	KindGarbage:         "garbage",
	KindErrorBody:       "error_body",
}

func (k Kind) String() string {
	if k <= 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// Fault is what a rule does to a request. Make one with the constructors;
// the zero Fault is not valid.
type Fault struct {
	kind       Kind
	status     int
	retryAfter time.Duration
	httpDate   bool
	delay      time.Duration
	size       int
	body       func(*http.Request) []byte
	header     http.Header
}

// Kind returns the fault's kind.
func (f Fault) Kind() Kind { return f.kind }

// WithHeader returns f with a header added to the responses it writes
// (all kinds but Reset and Slow, which write none of their own), e.g.
// Status(503, nil).WithHeader("Retry-After", "5").
func (f Fault) WithHeader(key, value string) Fault {
	f.header = f.header.Clone()
	if f.header == nil {
		f.header = http.Header{}
	}
	f.header.Add(key, value)
	return f
}

// TooManyRequests answers 429 with "Retry-After: <seconds>", after rounded
// up to a whole second.
func TooManyRequests(after time.Duration) Fault {
	return Fault{kind: KindTooManyRequests, status: http.StatusTooManyRequests, retryAfter: after}
}

// TooManyRequestsUntil answers 429 with Retry-After as an HTTP-date: the
// injector's clock plus after, rounded up to a whole second.
func TooManyRequestsUntil(after time.Duration) Fault {
	return Fault{kind: KindTooManyRequests, status: http.StatusTooManyRequests, retryAfter: after, httpDate: true}
}

// Status answers with code (500, 502, 503, 504, or any error status) and
// body, which may be nil.
func Status(code int, body []byte) Fault {
	return Fault{kind: KindStatus, status: code, body: constant(body)}
}

// Reset drops the connection without answering: the client sees ECONNRESET
// (over HTTP/2, a reset stream).
func Reset() Fault { return Fault{kind: KindReset} }

// Slow holds the answer back for d, then serves the real response. If the
// client gives up first, the handler ends at once and the connection is
// dropped without an answer (by panicking with http.ErrAbortHandler, which
// net/http recovers silently).
func Slow(d time.Duration) Fault { return Fault{kind: KindSlow, delay: d} }

// Truncated serves the real response's headers with status 200 and the
// first half of its body, correctly framed: a well-formed HTTP response
// whose JSON (or XML) stops in the middle.
func Truncated() Fault { return Fault{kind: KindTruncated, status: http.StatusOK} }

// Garbage answers 200 with n bytes from the rule's random source (64 when n
// is not positive), the first of them 0xFF, which starts no JSON, XML or
// UTF-8 text.
func Garbage(n int) Fault {
	if n <= 0 {
		n = 64
	}
	return Fault{kind: KindGarbage, status: http.StatusOK, size: n}
}

// ErrorBody answers 200 with the body build makes from the request, as
// "application/json; charset=utf-8" unless WithHeader sets another
// Content-Type. It is for platforms such as Taobao TOP and DingTalk that
// report errors inside a 200 response.
func ErrorBody(build func(*http.Request) []byte) Fault {
	return Fault{kind: KindErrorBody, status: http.StatusOK, body: build}
}

func constant(b []byte) func(*http.Request) []byte {
	return func(*http.Request) []byte { return b }
}

func (f Fault) validate() error {
	switch f.kind {
	case KindTooManyRequests:
		if f.retryAfter < 0 {
			return fmt.Errorf("negative Retry-After %s", f.retryAfter)
		}
	case KindStatus:
		if f.status < 400 || f.status > 599 {
			return fmt.Errorf("status %d is not an error status", f.status)
		}
	case KindSlow:
		if f.delay <= 0 {
			return fmt.Errorf("delay %s is not positive", f.delay)
		}
	case KindErrorBody:
		if f.body == nil {
			return fmt.Errorf("no body builder")
		}
	case KindReset, KindTruncated, KindGarbage:
	default:
		return fmt.Errorf("no fault: make one with a constructor such as Status or Reset")
	}
	return nil
}

// injection is one decided fault with what had to be computed under the
// injector's lock (random bytes, the clock).
type injection struct {
	fault      Fault
	retryAfter string
	garbage    []byte
}

func (f Fault) prepare(now time.Time, rng *rand.Rand) injection {
	in := injection{fault: f}
	switch f.kind {
	case KindTooManyRequests:
		secs := int64((f.retryAfter + time.Second - 1) / time.Second)
		if f.httpDate {
			in.retryAfter = now.Add(time.Duration(secs) * time.Second).Add(time.Second - 1).
				Truncate(time.Second).UTC().Format(http.TimeFormat)
		} else {
			in.retryAfter = strconv.FormatInt(secs, 10)
		}
	case KindGarbage:
		in.garbage = make([]byte, f.size)
		for i := range in.garbage {
			in.garbage[i] = byte(rng.Uint32())
		}
		in.garbage[0] = 0xFF
	}
	return in
}

// serve writes the fault's response, calling next where the fault needs
// the real one. after waits for Slow.
func (in injection) serve(w http.ResponseWriter, r *http.Request, next http.Handler, after func(time.Duration) <-chan time.Time) {
	f := in.fault
	switch f.kind {
	case KindReset:
		reset(w)
		return
	case KindSlow:
		select {
		case <-after(f.delay):
			next.ServeHTTP(w, r)
		case <-r.Context().Done():
			// The client gave up. Returning normally would make
			// net/http write an empty 200, which a TLS client closing
			// the connection can still read; abort instead.
			panic(http.ErrAbortHandler)
		}
		return
	}

	var body []byte
	switch f.kind {
	case KindTooManyRequests:
		w.Header().Set("Retry-After", in.retryAfter)
	case KindStatus:
		body = f.body(r)
	case KindErrorBody:
		body = f.body(r)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	case KindGarbage:
		body = in.garbage
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	case KindTruncated:
		rec := &recorder{header: http.Header{}}
		next.ServeHTTP(rec, r)
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		body = rec.body.Bytes()
		body = body[:len(body)/2]
	}
	for k, v := range f.header {
		w.Header()[k] = v
	}
	w.WriteHeader(f.status)
	w.Write(body)
}

// reset closes the connection with SO_LINGER 0, so the kernel sends RST
// instead of FIN and the client's read fails with ECONNRESET.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// HTTP/2 cannot hijack; aborting the handler resets the stream.
		panic(http.ErrAbortHandler)
	}
	raw := conn
	if nc, ok := conn.(interface{ NetConn() net.Conn }); ok { // *tls.Conn
		raw = nc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	// Close the raw connection: closing a *tls.Conn would first send a
	// close_notify alert, an orderly end rather than a reset.
	raw.Close()
}

// recorder keeps the real handler's headers and body for Truncated, which
// answers 200 whatever the real status was.
type recorder struct {
	header http.Header
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(int)             {}
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
