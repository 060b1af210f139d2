package agent

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/cluster/jobrec"
	"github.com/marketsync/marketsync/daemon/jobs"
	"github.com/marketsync/marketsync/daemon/webhook"
)

// In a cluster, one node owns each platform account (package ownership)
// and only it calls the platform: its platform actor holds the account's
// rate limiter, so the quota is kept in one place. Any other node
// forwards a request that calls the platform, or reads what only the
// owner holds, to the owner's agent API. That is the same path lock
// requests take to the leader: one authenticated (the least-scoped token
// that may write), TLS-capable (cluster.api_* files) path already exists
// between agents, and protoactor's cluster package, the alternative for
// actor-to-actor messages across nodes, is alpha.

// ownerHold is how long a request for an account nobody owns waits for an
// owner before it is refused, as leaderHold does for locks: an election
// or a failover hands the account over within that (see ownerTTL).
const ownerHold = 5 * time.Second

func platformResource(platform string) string { return "platform/" + platform }

// ownsHere says whether this node owns the platform account now.
func (c *agentCluster) ownsHere(platform string) bool {
	_, ok := c.owner.Token(platformResource(platform))
	return ok
}

// memberAPI is the API address of the named live member, or "".
func (c *agentCluster) memberAPI(name string) string {
	for _, m := range c.node.Membership().Alive() {
		if m.Name == name {
			return m.Meta.APIAddr
		}
	}
	return ""
}

// ownerAPI is the API address of the other node that gossip says owns
// the account, or "".
func (c *agentCluster) ownerAPI(platform string) string {
	r := platformResource(platform)
	for _, m := range c.node.Membership().Alive() {
		if m.Name != c.node.Name() && m.Meta.APIAddr != "" && m.Meta.APIAddr != c.selfAddr && slices.Contains(m.Meta.Owned, r) {
			return m.Meta.APIAddr
		}
	}
	return ""
}

// ownerClient is a client of the owner's API, or nil when this node owns
// the account and serves the request itself. While nobody owns it, it
// waits up to ownerHold, then refuses with CodeNoOwner. A request another
// node forwarded is never forwarded again.
func (c *agentCluster) ownerClient(ctx context.Context, platform string) (*client.Client, error) {
	hold := time.NewTimer(ownerHold)
	defer hold.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if c.ownsHere(platform) {
			return nil, nil
		}
		if addr := c.ownerAPI(platform); addr != "" {
			if by := api.ForwardedBy(ctx); by != "" {
				// The node that sent it here saw this one as the owner;
				// sending it on could pass it back and forth until gossip
				// settles.
				return nil, noOwner(platform, "node "+by+" forwarded the request here, but this node sees another owner")
			}
			return c.dial(addr)
		}
		select {
		case <-ctx.Done():
			return nil, noOwner(platform, "the request ended")
		case <-hold.C:
			return nil, noOwner(platform, "waited "+ownerHold.String())
		case <-tick.C:
		}
	}
}

func noOwner(platform, detail string) error {
	return api.Unavailable(client.CodeNoOwner, fmt.Sprintf("no node of the cluster owns platform %s now (an election or a failover is under way; %s): retry", platform, detail))
}

// remoteError is another agent's answer as this API's: its own JSON
// error passes through, anything else says the other agent did not
// answer.
func remoteError(err error) error {
	var ae *client.APIError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ae) && ae.Code != "":
		return &api.Error{Status: ae.StatusCode, Code: ae.Code, Message: ae.Message}
	}
	return api.Unavailable(client.CodeUnavailable, fmt.Sprintf("the agent that owns the account did not answer: %v", err))
}

// forwardCollect sends a collect request for an account another node
// owns to it; handled is false when this node runs the job (it owns the
// account, runs alone, or the platform is not configured, which the job
// manager reports).
func (a *Agent) forwardCollect(ctx context.Context, req client.CollectRequest) (_ *client.Job, handled bool, _ error) {
	c := a.cluster
	if c == nil || !a.configured(req.Platform) {
		return nil, false, nil
	}
	cl, err := c.ownerClient(ctx, req.Platform)
	if err != nil || cl == nil {
		return nil, err != nil, err
	}
	j, err := cl.Jobs().Collect(ctx, req)
	return j, true, remoteError(err)
}

// webhookOwnerWait is how long a delivery for an account nobody owns
// waits for an owner: well within api.WebhookDeadline, so the platform
// is answered in time with a Retry-After.
const webhookOwnerWait = 2 * time.Second

// notForwarded are the delivery's headers that belong to its hop, not to
// the delivery: the forwarding request sets its own.
var notForwarded = map[string]bool{
	"authorization": true, "connection": true, "content-length": true, "host": true, "keep-alive": true,
	"te": true, "trailer": true, "transfer-encoding": true, "upgrade": true, "accept-encoding": true,
	strings.ToLower(client.HeaderForwardedBy): true,
}

// handOffWebhook is the webhook receiver's Handoff: a delivery this node
// verified, for an account another node owns, goes to that node, body
// and headers as the platform sent them. The owner's sync engine holds
// the account's pipelines and bindings, so a delivery that reached any
// node (a load balancer in front of them all) starts its re-sync there;
// the owner verifies it again and records it, so the delivery-id dedupe
// is the owner's too. Not taken when this node owns the account or runs
// alone. A delivery the owner could not be given is answered 503 with a
// Retry-After (the platform sends it again), and logged at WARN.
func (a *Agent) handOffWebhook(ctx context.Context, name string, d webhook.Delivery) (webhook.Outcome, bool, error) {
	c := a.cluster
	e, ok := a.current()[name]
	if c == nil || !ok {
		return "", false, nil
	}
	wait, cancel := context.WithTimeout(ctx, webhookOwnerWait)
	cl, err := c.ownerClient(wait, name)
	cancel()
	if err == nil && cl == nil {
		return "", false, nil
	}
	var ack *client.WebhookAck
	if err == nil {
		h := http.Header{}
		for k, v := range d.Headers {
			if !notForwarded[k] {
				h.Set(k, v)
			}
		}
		ack, err = cl.DeliverWebhook(ctx, e.cfg.Plugin, name, h, d.Body)
	}
	if err != nil {
		a.log.Warn("webhook delivery for an account another node owns not handed to it; the platform is told to send it again",
			"platform", name, "error", err)
		return "", true, fmt.Errorf("handing the delivery to the owner of platform %s: %w", name, err)
	}
	return webhook.Outcome(ack.Status), true, nil
}

// elsewhere is the cluster's record of a collect job that another node
// runs, and that node's API address ("" when it is gone).
func (a *Agent) elsewhere(id string) (jobrec.Record, string, bool) {
	c := a.cluster
	if c == nil || c.node.Jobs() == nil {
		return jobrec.Record{}, "", false
	}
	rec, ok := c.node.Jobs().Get(id)
	if !ok || rec.Owner == c.node.Name() || c.jobs.runs(id) {
		return jobrec.Record{}, "", false
	}
	return rec, c.memberAPI(rec.Owner), true
}

// forwardJob answers GET /v1/jobs/{id} for a job another node runs: a
// sync run this node forwarded, from the node that runs it; a collect
// job, from that node, or from the cluster's record when it is gone or
// does not answer (its item counters are the last checkpoint's).
func (a *Agent) forwardJob(ctx context.Context, id string, w client.WaitOptions) (*client.Job, bool, error) {
	if cl, handled, err := a.syncRunner(ctx, id); handled {
		if err != nil {
			return nil, true, err
		}
		j, err := cl.Jobs().Watch(ctx, id, w)
		return j, true, remoteError(err)
	}
	rec, addr, ok := a.elsewhere(id)
	if !ok {
		return nil, false, nil
	}
	if addr != "" {
		if cl, err := a.cluster.dial(addr); err == nil {
			j, err := cl.Jobs().Watch(ctx, id, w)
			if err == nil {
				return j, true, nil
			}
			a.log.Debug("the owner of a job did not answer; answering from the cluster's record", "job", id, "owner", rec.Owner, "err", err)
		}
	}
	j, ok := a.jobFromTable(ctx, id, rec, w)
	return j, ok, nil
}

// jobFromTable answers with the table's record of a job; like a blocking
// query of the store, it waits (up to w.Wait) while the record's index
// is w.Index, reading this node's replica again every tableRead.
func (a *Agent) jobFromTable(ctx context.Context, id string, rec jobrec.Record, w client.WaitOptions) (*client.Job, bool) {
	var timeout <-chan time.Time
	if w.Index != 0 {
		t := time.NewTimer(w.Wait)
		defer t.Stop()
		timeout = t.C
	}
	tick := time.NewTicker(tableRead)
	defer tick.Stop()
	for {
		j, err := recordJob(rec)
		if err != nil {
			a.log.Warn("cannot read the cluster's record of a job", "job", id, "err", err)
			return nil, false
		}
		out := jobFromRecord(j)
		if w.Index == 0 || out.Index != w.Index {
			return out, true
		}
		select {
		case <-timeout:
			return out, true
		case <-ctx.Done():
			return out, true
		case <-tick.C:
		}
		if next, ok := a.cluster.node.Jobs().Get(id); ok {
			rec = next
		}
	}
}

// tableRead is how often a blocking query answered from the job table
// reads it again: the table has no watch, and such queries last only
// while a job's owner is gone.
const tableRead = 100 * time.Millisecond

// jobOwner is a client of the node that runs a sync run this node
// forwarded, or a collect job of the table that another node owns;
// handled is false when the job is this node's, or neither. gone says
// what to do while a collect job's owner is gone.
func (a *Agent) jobOwner(ctx context.Context, id, gone string) (_ *client.Client, handled bool, _ error) {
	if cl, handled, err := a.syncRunner(ctx, id); handled {
		return cl, true, err
	}
	rec, addr, ok := a.elsewhere(id)
	if !ok {
		return nil, false, nil
	}
	if addr == "" {
		return nil, true, noOwner(rec.Platform, "the job's owner "+rec.Owner+" is gone; "+gone)
	}
	cl, err := a.cluster.dial(addr)
	return cl, true, err
}

// forwardJobItems lists the items of a job another node runs, from that
// node.
func (a *Agent) forwardJobItems(ctx context.Context, id string, opts client.ItemListOptions) (*client.ItemPage, bool, error) {
	cl, handled, err := a.jobOwner(ctx, id, "its items move with the account")
	if cl == nil {
		return nil, handled, err
	}
	page, err := cl.Jobs().Items(ctx, id, opts)
	return page, true, remoteError(err)
}

// forwardCancel cancels a job another node runs, on that node.
func (a *Agent) forwardCancel(ctx context.Context, id string) (*client.Job, bool, error) {
	cl, handled, err := a.jobOwner(ctx, id, "cancel once the next owner resumed it")
	if cl == nil {
		return nil, handled, err
	}
	j, err := cl.Jobs().Cancel(ctx, id)
	return j, true, remoteError(err)
}

// jobFromCluster answers for a job this node's store does not hold: from
// its replica of the job table (a job this node is rebuilding after
// taking its account over is there before it is in the store), else from
// the raft leader, whose table this replica may lag by the job just
// created: the leader answers from its table, or passes the request on
// to the job's owner.
func (a *Agent) jobFromCluster(ctx context.Context, id string, w client.WaitOptions) (*client.Job, bool) {
	c := a.cluster
	if c == nil {
		return nil, false
	}
	if t := c.node.Jobs(); t != nil {
		if rec, ok := t.Get(id); ok {
			return a.jobFromTable(ctx, id, rec, w)
		}
	}
	if c.node.IsLeader() {
		return nil, false
	}
	cl, err := c.leaderClient(ctx)
	if err != nil {
		return nil, false
	}
	j, err := cl.Jobs().Watch(ctx, id, w)
	if err != nil {
		return nil, false
	}
	return j, true
}

// clusterJobList is the list of jobs of a cluster node that keeps no
// replica of the job table (not a raft server): a server's answer (the
// leader's when this node knows it), which lists every job of the table,
// this node's included, as every job of a cluster is written there. handled is false on a server, alone, or for
// a request another node forwarded. While no leader can be reached the
// list is refused (503 no_cluster_leader) rather than answered with this
// node's jobs alone.
func (a *Agent) clusterJobList(ctx context.Context, opts client.JobListOptions) (_ []client.Job, handled bool, _ error) {
	c := a.cluster
	if c == nil || c.node.Jobs() != nil || api.ForwardedBy(ctx) != "" {
		return nil, false, nil
	}
	cl, err := c.leaderClient(ctx)
	if err != nil {
		return nil, true, err
	}
	list, err := cl.Jobs().List(ctx, opts)
	return list, true, unreachable(err)
}

// withClusterJobs is list, a page of this node's jobs that match f
// (newest first), with the cluster's jobs merged in on a server: every
// job of the replicated job table that matches f, wherever it runs,
// takes the table's view (its last checkpoint) unless this node runs it,
// so a job that moved away after a failover does not show this node's
// stale copy. On a node that keeps no table, list as it is. Jobs of the
// table are collect jobs and sync runs; the table keeps the newest
// jobrec.MaxFinished finished ones.
func (a *Agent) withClusterJobs(list []*job.Job, f jobs.Filter) []*job.Job {
	c := a.cluster
	if c == nil || c.node.Jobs() == nil {
		return list
	}
	at := make(map[string]int, len(list))
	for i, j := range list {
		at[j.GetId()] = i
	}
	self := c.node.Name()
	for _, s := range c.node.Jobs().Summaries(f.Platform) {
		if s.Owner == self || c.jobs.runs(s.ID) {
			continue // this node's copy is the fresher
		}
		j := &job.Job{}
		if err := proto.Unmarshal(s.Job, j); err != nil {
			a.log.Warn("cannot read the cluster's record of a job", "job", s.ID, "err", err)
			continue
		}
		j.Total, j.Succeeded, j.Failed = s.Total, s.Succeeded, s.Failed
		if f.State != nil && j.GetState() != *f.State {
			if i, ok := at[s.ID]; ok {
				list[i] = nil // this node's stale copy matched; the job no longer does
			}
			continue
		}
		if i, ok := at[s.ID]; ok {
			list[i] = j
		} else {
			list = append(list, j)
		}
	}
	list = slices.DeleteFunc(list, func(j *job.Job) bool { return j == nil })
	slices.SortFunc(list, func(x, y *job.Job) int { return strings.Compare(y.GetId(), x.GetId()) })
	if f.Limit > 0 && len(list) > f.Limit {
		list = list[:f.Limit]
	}
	return list
}
