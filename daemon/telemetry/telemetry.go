package telemetry

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/VictoriaMetrics/metrics"
	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/actors/platform"
)

// Metric families.
const (
	familyCalls    = "marketsync_platform_calls_total"
	familyDuration = "marketsync_platform_call_duration_seconds"
	familyRetries  = "marketsync_platform_retries_total"
	familyWait     = "marketsync_platform_rate_limit_wait_seconds_total"
	familyRestarts = "marketsync_plugin_restarts_total"
	familyBreaker  = "marketsync_platform_breaker"
	familyState    = "marketsync_platform_state"
	familyRefused  = "marketsync_platform_retries_refused_total"
	familyJobs     = "marketsync_jobs"
)

var help = map[string]string{
	familyCalls:    "Plugin calls by platform, operation and outcome (ok, timeout, rate_limited, unavailable, invalid, auth, not_found, conflict); every attempt counts.",
	familyDuration: "Latency of plugin calls, from the call leaving the platform actor to its answer, rate-limit waits excluded.",
	familyRetries:  "Plugin calls that were retries of an earlier failed attempt.",
	familyWait:     "Time calls spent waiting for rate-limit tokens.",
	familyRestarts: "Plugin processes restarted after a crash, a hang or a failed health check.",
	familyBreaker:  "Circuit breaker state of each platform: 1 for the state it is in (closed, open, half-open), 0 for the others.",
	familyState:    "Service state of each platform: 1 for the state it is in (ready, failed, unauthorized), 0 for the others. A failed platform's plugin kept crashing past its restart policy; an unauthorized one's credentials were rejected.",
	familyRefused:  "Retries the retry budget refused: calls that failed without their remaining attempts because the platform was already being retried too much.",
	familyJobs:     "Jobs known to this agent by state.",
}

// durationBuckets are upper bounds in seconds: from a fast local plugin
// (about 0.2 ms) to a slow platform near a typical 30 s timeout.
var durationBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

func init() {
	// HELP and TYPE lines are part of the exposition we promise.
	metrics.ExposeMetadata(true)
}

// Metrics is the agent's metric set. It implements platform.Observer and
// job.Observer.
type Metrics struct {
	set *metrics.Set

	mu      sync.Mutex
	jobs    map[job.State]int64
	breaker map[string]string // platform → state
	state   map[string]string // platform → ready, failed or unauthorized
}

var (
	_ platform.Observer      = (*Metrics)(nil)
	_ platform.StateObserver = (*Metrics)(nil)
	_ job.Observer           = (*Metrics)(nil)
)

// New returns an empty metric set with a jobs gauge per state.
func New() *Metrics {
	m := &Metrics{set: metrics.NewSet(), jobs: map[job.State]int64{}, breaker: map[string]string{}, state: map[string]string{}}
	for v, name := range job.State_name {
		state := job.State(v)
		m.set.NewGauge(series(familyJobs, "state", stateLabel(name)), func() float64 {
			m.mu.Lock()
			defer m.mu.Unlock()
			return float64(m.jobs[state])
		})
	}
	return m
}

func stateLabel(enumName string) string {
	return strings.ToLower(strings.TrimPrefix(enumName, "STATE_"))
}

// SeedJobs sets the job gauges from the store's counts at start-up.
func (m *Metrics) SeedJobs(counts map[job.State]int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for s, n := range counts {
		m.jobs[s] = int64(n)
	}
}

// JobChanged implements job.Observer.
func (m *Metrics) JobChanged(from, to job.State, isNew bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !isNew {
		m.jobs[from]--
	}
	m.jobs[to]++
}

// CallFinished implements platform.Observer.
func (m *Metrics) CallFinished(c platform.CallRecord) {
	op := c.Operation.String()
	m.set.GetOrCreateCounter(series(familyCalls, "platform", c.Platform, "operation", op, "outcome", c.Outcome)).Inc()
	m.set.GetOrCreatePrometheusHistogramExt(series(familyDuration, "platform", c.Platform, "operation", op), durationBuckets).Update(c.Latency.Seconds())
	if c.Attempt > 1 {
		m.set.GetOrCreateCounter(series(familyRetries, "platform", c.Platform, "operation", op)).Inc()
	}
	if c.BudgetExhausted {
		m.set.GetOrCreateCounter(series(familyRefused, "platform", c.Platform)).Inc()
	}
	if c.Waited > 0 {
		m.set.GetOrCreateFloatCounter(series(familyWait, "platform", c.Platform)).Add(c.Waited.Seconds())
	}
}

// PluginRestarted implements platform.Observer.
func (m *Metrics) PluginRestarted(platformName, _ string) {
	m.set.GetOrCreateCounter(series(familyRestarts, "platform", platformName)).Inc()
}

// BreakerChanged implements platform.Observer.
func (m *Metrics) BreakerChanged(platformName, state string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.breaker[platformName] = state
}

var breakerStates = []string{"closed", "open", "half-open"}

// StateChanged implements platform.StateObserver.
func (m *Metrics) StateChanged(platformName string, state platform.State, _ string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.state[platformName] = strings.ToLower(strings.TrimPrefix(state.String(), "STATE_"))
}

var serviceStates = []string{"ready", "failed", "unauthorized"}

// RegisterPlatform creates a platform's series before its first call,
// restart or breaker change, so dashboards and alerts see it at once.
func (m *Metrics) RegisterPlatform(name string) {
	m.set.GetOrCreateCounter(series(familyRestarts, "platform", name))
	m.set.GetOrCreateCounter(series(familyRefused, "platform", name))
	m.oneOf(familyBreaker, name, breakerStates, m.breaker)
	m.oneOf(familyState, name, serviceStates, m.state)
}

// ForgetPlatform drops every series of platform name (its calls,
// restarts, breaker and state, webhooks): a reload removed its block, and
// a series kept would go on reporting the last state of a platform that
// is gone. A platform of that name added again starts from zero.
func (m *Metrics) ForgetPlatform(name string) {
	label := `platform="` + labelEscaper.Replace(name) + `"`
	for _, series := range m.set.ListMetricNames() {
		if strings.Contains(series, "{"+label+",") || strings.Contains(series, ","+label+",") ||
			strings.Contains(series, "{"+label+"}") || strings.Contains(series, ","+label+"}") {
			m.set.UnregisterMetric(series)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.breaker, name)
	delete(m.state, name)
}

// oneOf creates the gauges of family for platform name, one per state: 1
// for the state current holds for it (the first state when it holds none),
// 0 for the others.
func (m *Metrics) oneOf(family, name string, states []string, current map[string]string) {
	for _, state := range states {
		m.set.GetOrCreateGauge(series(family, "platform", name, "state", state), func() float64 {
			m.mu.Lock()
			defer m.mu.Unlock()
			now, ok := current[name]
			if !ok {
				now = states[0]
			}
			if now == state {
				return 1
			}
			return 0
		})
	}
}

// Write writes every series in the Prometheus text format, the agent's
// own and the Go runtime's and process's, each family with HELP and TYPE.
func (m *Metrics) Write(w io.Writer) error {
	var buf bytes.Buffer
	m.set.WritePrometheus(&buf)
	metrics.WriteProcessMetrics(&buf)
	return normalize(w, &buf)
}

// Handler serves Write at /metrics.
func (m *Metrics) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_ = m.Write(w)
	})
}

// dropped are runtime families whose names break Prometheus's naming rules
// (a "_count" suffix outside histograms and summaries); the same facts are
// in other series (go_gc_cycles, process metrics).
var dropped = map[string]bool{"go_cgo_calls_count": true, "go_cpu_count": true, "go_gc_forced_count": true}

// family returns the metric family of a sample or metadata line.
func family(line string) string {
	if rest, ok := strings.CutPrefix(line, "# HELP "); ok {
		line = rest
	} else if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
		line = rest
	}
	if i := strings.IndexAny(line, "{ "); i >= 0 {
		return line[:i]
	}
	return line
}

// normalize copies an exposition, giving every empty HELP line its text,
// typing the library's cumulative process_io_*_total series as the
// counters they are, and leaving out the dropped families.
func normalize(w io.Writer, r io.Reader) error {
	bw := bufio.NewWriter(w)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		fam := family(line)
		if dropped[fam] {
			continue
		}
		if strings.HasPrefix(fam, "process_io_") && strings.HasSuffix(fam, "_total") && line == "# TYPE "+fam+" gauge" {
			line = "# TYPE " + fam + " counter"
		}
		if family, ok := strings.CutPrefix(line, "# HELP "); ok && !strings.Contains(family, " ") {
			text, known := help[family]
			if !known {
				text = "Go runtime or process metric " + family + ", as exported by github.com/VictoriaMetrics/metrics."
			}
			line += " " + text
		}
		bw.WriteString(line)
		bw.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return bw.Flush()
}

// series builds a series name with label pairs, escaping values as the
// text format requires (backslash, double quote, newline).
func series(family string, kv ...string) string {
	var b strings.Builder
	b.WriteString(family)
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(kv[i])
		b.WriteString(`="`)
		b.WriteString(labelEscaper.Replace(kv[i+1]))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
