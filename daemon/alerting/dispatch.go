package alerting

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/marketsync/marketsync/config"
	"github.com/marketsync/marketsync/daemon/alerting/notify"
)

// group is the alerts one route sends to its receiver together: those with
// the same values of the route's group_by labels.
type group struct {
	key    string // route index and group labels; the notification log's key
	route  int
	labels map[string]string
	alerts []Alert // this round's: firing (not muted) and resolved
	// firstSeen is when this process first saw the group; flushed says
	// it has flushed since, lastFlush when.
	firstSeen time.Time
	flushed   bool
	lastFlush time.Time
	// retryAt holds a group whose message failed, retries spent, until a
	// group_interval later.
	retryAt time.Time
	log     LogEntry
	// sending says a message of the group is with its receiver's sender.
	sending bool
}

// never is a time no group is due at.
var never = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// regroup lays the current alerts into groups: silenced and inhibited
// firing alerts are left out, resolved ones stay so that their resolved
// notification can go.
func (m *Manager) regroup(now time.Time) {
	m.mu.Lock()
	firing := m.firingLocked()
	var alerts []Alert
	for _, rs := range m.rules {
		for _, a := range rs.alerts {
			switch {
			case a.State == StateResolved:
			case a.State != StateFiring, len(m.silencedByLocked(a.Labels, now)) > 0, m.inhibitedLocked(a, firing):
				continue
			}
			alerts = append(alerts, *a)
		}
	}
	m.mu.Unlock()
	for _, g := range m.groups {
		g.alerts = g.alerts[:0]
	}
	routes := m.opts.Config.Routes
	for _, a := range alerts {
		for i, r := range routes {
			if !config.MatchAll(r.Matchers, a.Labels) {
				continue
			}
			// A receiver's own failure alert cannot reach it; another
			// route must carry it.
			if a.Labels["receiver"] == "" || a.Labels["receiver"] != r.Receiver {
				g := m.groupFor(i, a, now)
				g.alerts = append(g.alerts, a)
			}
			if !r.Continue {
				break
			}
		}
	}
	for k, g := range m.groups {
		if len(g.alerts) == 0 && len(g.log.Firing) == 0 && !g.sending {
			delete(m.groups, k)
		}
	}
}

func (m *Manager) groupFor(route int, a Alert, now time.Time) *group {
	r := m.opts.Config.Routes[route]
	labels := map[string]string{}
	var b strings.Builder
	b.WriteString(strconv.Itoa(route))
	for _, l := range r.GroupBy {
		labels[l] = a.Labels[l]
		b.WriteString("|" + l + "=" + a.Labels[l])
	}
	key := b.String()
	g := m.groups[key]
	if g == nil {
		g = &group{key: key, route: route, labels: labels, firstSeen: now}
		if e, ok, err := m.db.logEntry(r.Receiver, key); err != nil {
			m.log.Error("notification log not read; the group may be notified again", "group", key, "error", err)
		} else if ok {
			g.log = e
		}
		m.groups[key] = g
	}
	return g
}

// sets returns the fingerprints of the group's firing alerts, sorted, and
// the resolved alerts whose firing was notified and whose resolution was
// not.
func (g *group) sets() (firing []string, resolved []Alert) {
	for _, a := range g.alerts {
		if a.State == StateFiring {
			firing = append(firing, a.Fingerprint)
		} else if slices.Contains(g.log.Firing, a.Fingerprint) {
			resolved = append(resolved, a)
		}
	}
	slices.Sort(firing)
	return firing, resolved
}

// due is when the group should flush next:
//
//   - a resolution of a notified alert goes at once: resolved
//     notifications are not held back by group_wait or group_interval;
//   - a group this process has not flushed waits group_wait from when it
//     was first seen (after a restart the log then says what was sent);
//   - a group whose firing alerts changed since its last message waits
//     group_interval from its last flush;
//   - an unchanged group is sent again repeat_interval after its last
//     message, to the second, not rounded to a group_interval.
func (m *Manager) due(g *group) time.Time {
	return later(m.schedule(g), g.retryAt)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (m *Manager) schedule(g *group) time.Time {
	r := m.opts.Config.Routes[g.route]
	firing, resolved := g.sets()
	changed := !slices.Equal(firing, g.log.Firing)
	switch {
	case len(resolved) > 0:
		return time.Time{}
	case !g.flushed && (changed || len(firing) > 0):
		return g.firstSeen.Add(r.GroupWait)
	case changed:
		return g.lastFlush.Add(r.GroupInterval)
	case len(firing) > 0:
		return g.log.SentAt.Add(r.RepeatInterval)
	}
	return never
}

// nextDue is how long until the next group is due, or until a receiver
// whose rate limit held a message back has room again.
func (m *Manager) nextDue() time.Duration {
	now := time.Now()
	next := never
	for _, g := range m.groups {
		r := m.receivers[m.opts.Config.Routes[g.route].Receiver]
		if g.sending || r.busy > 0 {
			continue // the sender's delivery wakes the loop
		}
		d := m.due(g)
		// A group whose receiver's rate limit is full waits for a slot.
		if n, free := r.room(now); n == 0 {
			d = later(d, free)
		}
		if d.Before(next) {
			next = d
		}
	}
	return max(next.Sub(now), 0)
}

// outgoing is one message to send and the groups it settles.
type outgoing struct {
	msg    *notify.Message
	groups []*group
	firing [][]string
}

// delivery is what became of one outgoing message.
type delivery struct {
	receiver string
	out      outgoing
	err      error
	at       time.Time
}

// dispatch hands the groups that are due to their receivers' senders. A
// receiver still sending what it was given before gets nothing new until
// it is done: its groups wait and are merged then if its rate limit asks.
func (m *Manager) dispatch() {
	now := time.Now()
	m.regroup(now)
	byReceiver := map[string][]outgoing{}
	keys := slices.Sorted(maps.Keys(m.groups))
	for _, k := range keys {
		g := m.groups[k]
		if g.sending || m.receivers[m.opts.Config.Routes[g.route].Receiver].busy > 0 || m.due(g).After(now) {
			continue
		}
		route := m.opts.Config.Routes[g.route]
		firing, resolved := g.sets()
		unchanged := slices.Equal(firing, g.log.Firing) && len(resolved) == 0
		if unchanged && (len(firing) == 0 || now.Sub(g.log.SentAt) < route.RepeatInterval) {
			// Sent before a restart, or nothing left: only the clock moves.
			g.flushed, g.lastFlush = true, now
			continue
		}
		var alerts []notify.Alert
		for _, a := range g.alerts {
			if a.State == StateFiring || (route.SendResolved && slices.ContainsFunc(resolved, func(x Alert) bool { return x.Fingerprint == a.Fingerprint })) {
				alerts = append(alerts, m.toNotify(a))
			}
		}
		if len(alerts) == 0 {
			// Only resolutions, and the route does not send them.
			m.settle(route.Receiver, g, firing, now)
			continue
		}
		msg := &notify.Message{Receiver: route.Receiver, GroupKey: g.key, GroupLabels: g.labels, Alerts: alerts, ExternalURL: m.opts.ExternalURL}
		byReceiver[route.Receiver] = append(byReceiver[route.Receiver], outgoing{msg: msg, groups: []*group{g}, firing: [][]string{firing}})
	}
	for _, name := range slices.Sorted(maps.Keys(byReceiver)) {
		r := m.receivers[name]
		out := byReceiver[name]
		room, _ := r.room(now)
		if room == 0 {
			continue // nextDue wakes the loop when the window frees
		}
		if len(out) > room {
			// The robot's limit would be passed: the rest go as one.
			merged := merge(out[room-1:])
			r.mu.Lock()
			r.st.Merged += len(out) - room + 1
			r.mu.Unlock()
			m.counters.add(familyNotifications, name, "merged", float64(len(out)-room+1))
			out = append(out[:room-1], merged)
		}
		for _, o := range out {
			finish(o.msg)
			for _, g := range o.groups {
				g.sending = true
			}
		}
		r.busy = len(out)
		m.inFlight.Add(int64(len(out)))
		r.queue <- out // empty: the sender took the last batch and answered for all of it
	}
}

// sender sends the messages dispatch gives receiver r, one after another
// with their retries, and tells the loop what became of each.
func (m *Manager) sender(ctx context.Context, r *receiver) {
	for {
		select {
		case <-ctx.Done():
			return
		case batch := <-r.queue:
			for _, o := range batch {
				if ctx.Err() != nil {
					return
				}
				_, err := m.send(ctx, r, o.msg)
				// The loop reads every delivery, also once ctx ended.
				m.delivered <- delivery{receiver: r.name, out: o, err: err, at: time.Now()}
			}
		}
	}
}

// settleDelivery records a sent message in the notification log, or holds
// its groups a group_interval after a failure.
func (m *Manager) settleDelivery(d delivery) {
	m.receivers[d.receiver].busy--
	m.inFlight.Add(-1)
	for i, g := range d.out.groups {
		g.sending = false
		if d.err != nil {
			g.retryAt = d.at.Add(m.opts.Config.Routes[g.route].GroupInterval)
			continue
		}
		m.settle(d.receiver, g, d.out.firing[i], d.at)
	}
}

// settle records that g's firing alerts were notified at now.
func (m *Manager) settle(receiver string, g *group, firing []string, now time.Time) {
	g.log = LogEntry{Firing: firing, SentAt: now, Node: m.opts.Node}
	g.flushed, g.lastFlush, g.retryAt = true, now, time.Time{}
	if err := m.db.setLogEntry(receiver, g.key, g.log); err != nil {
		m.log.Error("notification log not written; a restart may notify again", "group", g.key, "error", err)
	}
}

func (m *Manager) toNotify(a Alert) notify.Alert {
	n := notify.Alert{Status: a.State, Labels: a.Labels, Annotations: a.Annotations, StartsAt: a.ActiveAt,
		Fingerprint: a.Fingerprint, Value: a.Value, GeneratorURL: m.opts.ExternalURL + "/v1/alerts?fingerprint=" + a.Fingerprint}
	if a.State == StateResolved {
		n.EndsAt = a.ResolvedAt
	}
	return n
}

// merge joins several messages to one receiver into one.
func merge(out []outgoing) outgoing {
	m := outgoing{msg: &notify.Message{Receiver: out[0].msg.Receiver, ExternalURL: out[0].msg.ExternalURL, GroupLabels: map[string]string{}}}
	var keys []string
	for _, o := range out {
		m.msg.Alerts = append(m.msg.Alerts, o.msg.Alerts...)
		m.groups = append(m.groups, o.groups...)
		m.firing = append(m.firing, o.firing...)
		keys = append(keys, o.msg.GroupKey)
	}
	m.msg.GroupKey = strings.Join(keys, ";")
	return m
}

// finish fills in a message's status and the labels and annotations
// common to its alerts.
func finish(m *notify.Message) {
	m.Status = StateResolved
	for _, a := range m.Alerts {
		if a.Status == StateFiring {
			m.Status = StateFiring
		}
	}
	m.CommonLabels = common(m.Alerts, func(a notify.Alert) map[string]string { return a.Labels })
	m.CommonAnnotations = common(m.Alerts, func(a notify.Alert) map[string]string { return a.Annotations })
}

func common(as []notify.Alert, of func(notify.Alert) map[string]string) map[string]string {
	out := map[string]string{}
	if len(as) == 0 {
		return out
	}
	maps.Copy(out, of(as[0]))
	for _, a := range as[1:] {
		for k, v := range out {
			if of(a)[k] != v {
				delete(out, k)
			}
		}
	}
	return out
}
