package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"

	"github.com/marketsync/marketsync/actors/job"
	"github.com/marketsync/marketsync/daemon/api"
	"github.com/marketsync/marketsync/daemon/client"
	"github.com/marketsync/marketsync/daemon/cluster/jobrec"
	"github.com/marketsync/marketsync/daemon/cluster/locks"
	"github.com/marketsync/marketsync/daemon/cluster/ownership"
	"github.com/marketsync/marketsync/daemon/store"
	"github.com/marketsync/marketsync/daemon/syncengine"
	"github.com/marketsync/marketsync/sdk/model"
)

// In a cluster a collect job lives with the owner of its platform account
// and moves with it. Every write of the job actors goes to the cluster's
// replicated job table (package jobrec) before the node's own store: the
// request at creation, each checkpointed batch's items, the job record.
// Raft first, so that an item this node stored as done is done in the
// table too, and the next owner never collects it again. Each write
// carries this node's fencing token on the account: once another node
// took the account over and claimed the job, the table refuses the old
// owner's writes, and its job stops at its next checkpoint.
//
// When this node takes an account over it claims each unfinished job of
// the account in the table, rebuilds it in its own store from the claim's
// answer (the record as of the claim, whatever this replica has applied)
// and resumes it: the items done keep their outcome, the others are
// collected, and the job keeps its id.

// adoptEvery is how often the owner looks for jobs of its accounts that
// nobody runs, besides at once when it takes an account over.
const adoptEvery = time.Second

// applyTimeout bounds one job table command.
const applyTimeout = 10 * time.Second

// errNotOwner: the table refused a write because another node owns the
// job's account now.
var errNotOwner = errors.New("another node owns this job's platform account now; it resumes the job from the cluster's record")

// clusterJobs is the agent's side of the replicated job table.
type clusterJobs struct {
	a *Agent
	c *agentCluster

	// engine is the sync engine, once started; syncSources maps each
	// pipeline to its source platform (cluster_sync.go).
	engine      atomic.Pointer[syncengine.Engine]
	syncSources map[string]string

	mu sync.Mutex
	// running holds the jobs this node runs.
	running map[string]*run
	// managers are the job managers of jobs taken over, each running one
	// job (its id); reap stops those whose job is over.
	managers map[*actor.PID]string
}

func (c *agentCluster) startJobs(a *Agent) {
	c.jobs = &clusterJobs{a: a, c: c, running: map[string]*run{}}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	prev := c.stop
	c.stop = func() {
		stop()
		<-done
		prev()
	}
	go func() {
		defer close(done)
		c.jobs.adoptLoop(ctx)
	}()
}

// clusterJobStore is the job store the agent's job manager uses: in a
// cluster, one that replicates collect jobs.
func (a *Agent) clusterJobStore(s job.Store) job.Store {
	if a.cluster == nil {
		return s
	}
	a.cluster.startJobs(a)
	return replicatedStore{Store: s, cj: a.cluster.jobs}
}

func (cj *clusterJobs) runs(id string) bool {
	if cj == nil {
		return false
	}
	cj.mu.Lock()
	defer cj.mu.Unlock()
	_, ok := cj.running[id]
	return ok
}

// run is a job this node runs: the manager that runs it (nil: the
// agent's own) and the fencing token of the lease it runs under. A job
// runs under one lease only: once this node lost the account, even if it
// took it back since (with a newer token), the job's writes are refused
// and it stops; the node then resumes it afresh from the table, since
// another node may have moved it on in between.
type run struct {
	manager *actor.PID
	token   uint64
}

func (cj *clusterJobs) setRunning(id string, r *run) {
	cj.mu.Lock()
	defer cj.mu.Unlock()
	if r != nil {
		cj.running[id] = r
	} else {
		delete(cj.running, id)
	}
}

// underLease says whether the job may write with token: it runs here
// under that lease (a job just created takes the token it is created
// with).
func (cj *clusterJobs) underLease(id string, token uint64) bool {
	cj.mu.Lock()
	defer cj.mu.Unlock()
	r, ok := cj.running[id]
	if !ok {
		return false
	}
	if r.token == 0 {
		r.token = token
	}
	return r.token == token
}

// manager is the job manager that runs the job here: an adopted job's,
// or the agent's own.
func (a *Agent) jobManager(id string) *actor.PID {
	if c := a.cluster; c != nil && c.jobs != nil {
		c.jobs.mu.Lock()
		defer c.jobs.mu.Unlock()
		if r := c.jobs.running[id]; r != nil && r.manager != nil {
			return r.manager
		}
	}
	return a.manager
}

// apply commits cmd on the raft leader: this server's own when it leads,
// else through the leader's agent API.
func (c *agentCluster) apply(ctx context.Context, cmd jobrec.Command) (jobrec.Result, error) {
	if c.node.IsLeader() {
		res, err := c.applyHere(cmd)
		var nl *locks.NotLeaderError
		if !errors.As(err, &nl) {
			return res, err
		}
	}
	cl, err := c.leaderClient(ctx)
	if err != nil {
		return jobrec.Result{}, err
	}
	body, err := json.Marshal(cmd)
	if err != nil {
		return jobrec.Result{}, err
	}
	out, err := cl.Cluster().ApplyJobRecord(ctx, body)
	if err != nil {
		var ae *client.APIError
		if errors.As(err, &ae) && ae.Code == client.CodeNotOwner {
			return jobrec.Result{Outcome: jobrec.Stale}, nil
		}
		return jobrec.Result{}, fmt.Errorf("job table command through the leader: %w", unreachable(err))
	}
	var res jobrec.Result
	return res, json.Unmarshal(out, &res)
}

// opUnfinished asks the leader for the unfinished jobs of an account, for
// a node that holds no replica of the table.
const opUnfinished jobrec.Op = "unfinished"

// ApplyJobRecord implements api.JobRecords: the leader commits a command
// another node sent. A stale write is a 409 with CodeNotOwner.
func (c *agentCluster) ApplyJobRecord(ctx context.Context, raw json.RawMessage) (json.RawMessage, error) {
	var cmd jobrec.Command
	if err := json.Unmarshal(raw, &cmd); err != nil || cmd.Op == "" {
		return nil, api.BadRequest(client.CodeInvalidRequest, "not a job table command")
	}
	if cmd.Op == opUnfinished {
		if t := c.node.Jobs(); t != nil {
			return json.Marshal(t.Unfinished(cmd.Platform))
		}
		cl, err := c.leaderClient(ctx)
		if err != nil {
			return nil, err
		}
		out, err := cl.Cluster().ApplyJobRecord(ctx, raw)
		return out, remoteError(err)
	}
	if c.node.Jobs() == nil || !c.node.IsLeader() {
		// Not the leader: pass it on, as lock requests go.
		res, err := c.apply(ctx, cmd)
		if err != nil {
			return nil, lockError("", err)
		}
		return answer(res)
	}
	res, err := c.applyHere(cmd)
	if err != nil {
		return nil, lockError("", err)
	}
	return answer(res)
}

// applyHere commits cmd on this server, the leader, once its lock table
// shows cmd's owner holding the account's lease with cmd's token: only
// the account's current owner writes its jobs, whoever sends the command
// (POST /v1/cluster/jobs takes a write token, which an ERP may hold too).
// The table's own check, in the log, still refuses a token older than
// the record's, whatever happens between this check and the commit.
func (c *agentCluster) applyHere(cmd jobrec.Command) (jobrec.Result, error) {
	if s := c.node.Locks(); s != nil {
		l, _ := s.FSM().Get(ownership.LockName(platformResource(cmd.Platform)))
		if cmd.Platform == "" || l.Holder != cmd.Owner || l.Token != cmd.Token || cmd.Token == 0 {
			return jobrec.Result{Outcome: jobrec.Stale}, nil
		}
	}
	return c.node.ApplyJob(cmd, applyTimeout)
}

func answer(res jobrec.Result) (json.RawMessage, error) {
	if res.Outcome == jobrec.Stale {
		return nil, api.Conflict(client.CodeNotOwner, errNotOwner.Error())
	}
	return json.Marshal(res)
}

// unfinished lists the account's unfinished jobs: from this server's
// replica, or from the leader's.
func (c *agentCluster) unfinished(ctx context.Context, platform string) ([]jobrec.Record, error) {
	if t := c.node.Jobs(); t != nil {
		return t.Unfinished(platform), nil
	}
	cl, err := c.leaderClient(ctx)
	if err != nil {
		return nil, err
	}
	body, _ := json.Marshal(jobrec.Command{Op: opUnfinished, Platform: platform})
	out, err := cl.Cluster().ApplyJobRecord(ctx, body)
	if err != nil {
		return nil, err
	}
	var recs []jobrec.Record
	return recs, json.Unmarshal(out, &recs)
}

// write commits a write of the job actors, fenced by this node's token on
// the job's account.
func (cj *clusterJobs) write(j *job.Job, cmd jobrec.Command) error {
	token, ok := cj.c.token(j.GetPlatform())
	if !ok || !cj.underLease(j.GetId(), token) {
		return errNotOwner
	}
	b, err := proto.Marshal(j)
	if err != nil {
		return err
	}
	cmd.ID, cmd.Platform, cmd.Owner, cmd.Token, cmd.Job = j.GetId(), j.GetPlatform(), cj.c.node.Name(), token, b
	cmd.Final = final(j.GetState())
	ctx, cancel := context.WithTimeout(context.Background(), applyTimeout)
	defer cancel()
	// While raft elects a new leader (or this node still names the dead
	// one) a command cannot be committed: try again until applyTimeout
	// rather than fail a job its owner still holds. A command committed
	// before its answer was lost is applied once again harmlessly (pages
	// carry where they start, item states overwrite), and a create finds
	// its own record.
	res, err := cj.c.apply(ctx, cmd)
	for wait := 100 * time.Millisecond; err != nil && unavailable(err); wait = min(2*wait, time.Second) {
		select {
		case <-ctx.Done():
		case <-time.After(wait):
			res, err = cj.c.apply(ctx, cmd)
			if err == nil && cmd.Op == jobrec.OpCreate && res.Outcome == jobrec.Exists &&
				res.Record.Owner == cmd.Owner && res.Record.Token == cmd.Token {
				res.Outcome = jobrec.Applied
			}
			continue
		}
		break
	}
	switch {
	case err != nil:
		return fmt.Errorf("replicate job %s: %w", j.GetId(), err)
	case res.Outcome == jobrec.Stale:
		return errNotOwner
	case res.Outcome != jobrec.Applied:
		return fmt.Errorf("replicate job %s: the cluster's job table answered %s", j.GetId(), res.Outcome)
	}
	return nil
}

// unavailable says whether err is the cluster having no reachable leader
// for now, which a retry may get past.
func unavailable(err error) bool {
	var ae *api.Error
	var ce *client.APIError
	var nl *locks.NotLeaderError
	return errors.As(err, &nl) || errors.As(err, &ae) && ae.Status == http.StatusServiceUnavailable ||
		errors.As(err, &ce) && ce.StatusCode == http.StatusServiceUnavailable
}

// token is this node's fencing token on the account. While the lease is
// held but not trusted, as when a renewal waits out a raft election, it
// waits up to ownerHold for the renewal rather than stop a job the node
// still owns; false at once for an account handed over or lost.
func (c *agentCluster) token(platform string) (uint64, bool) {
	r := platformResource(platform)
	if t, ok := c.owner.Token(r); ok || !c.owner.Holding(r) {
		return t, ok
	}
	hold := time.NewTimer(ownerHold)
	defer hold.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-hold.C:
			return 0, false
		case <-tick.C:
			if t, ok := c.owner.Token(r); ok || !c.owner.Holding(r) {
				return t, ok
			}
		}
	}
}

func final(s job.State) bool {
	switch s {
	case job.State_STATE_SUCCEEDED, job.State_STATE_PARTIAL, job.State_STATE_FAILED, job.State_STATE_CANCELLED:
		return true
	}
	return false
}

// replicatedStore is the job store of a cluster node: collect jobs are
// written to the cluster's table first (see above); sync jobs, which the
// sync engine runs, through its own store (replicatedSyncStore).
type replicatedStore struct {
	job.Store
	cj *clusterJobs
}

func replicated(j *job.Job) bool { return j.GetKind() == job.Kind_KIND_COLLECT }

func (s replicatedStore) Create(j *job.Job, ids []string) error {
	if !replicated(j) {
		return s.Store.Create(j, ids)
	}
	s.cj.setRunning(j.GetId(), &run{})
	rec := proto.Clone(j).(*job.Job)
	rec.Total = int32(len(ids))
	if err := s.cj.write(rec, jobrec.Command{Op: jobrec.OpCreate, Request: ids}); err != nil {
		s.cj.setRunning(j.GetId(), nil)
		return err
	}
	return s.Store.Create(j, ids)
}

func (s replicatedStore) Save(j *job.Job) error {
	if !replicated(j) {
		return s.Store.Save(j)
	}
	err := s.cj.write(j, jobrec.Command{Op: jobrec.OpCheckpoint})
	// Only a final save lets go of the job: a runner told "not the owner"
	// mid-job keeps going until its next write fails too, and while its
	// entry stands no second runner is started for the same job.
	if final(j.GetState()) {
		s.cj.setRunning(j.GetId(), nil)
	}
	if errors.Is(err, errNotOwner) && final(j.GetState()) {
		// The job ends here only because this node lost the account:
		// it goes on from the table's record, on the next owner (or on
		// this node once it owns the account again). Its copy here is
		// left as it was, so that nobody reads it as over.
		return err
	}
	return errors.Join(err, s.Store.Save(j))
}

func (s replicatedStore) Commit(j *job.Job, items []*job.Item, products []*model.Product) error {
	if !replicated(j) {
		return s.Store.Commit(j, items, products)
	}
	cmd := jobrec.Command{Op: jobrec.OpCheckpoint}
	for _, it := range items {
		b, err := proto.Marshal(it)
		if err != nil {
			return err
		}
		cmd.Items = append(cmd.Items, jobrec.Item{Index: it.GetIndex(), State: int32(it.GetState()), Data: b})
	}
	if err := s.cj.write(j, cmd); err != nil {
		return err
	}
	return s.Store.Commit(j, items, products)
}

func (s replicatedStore) AddListed(j *job.Job, ids []string) error {
	if !replicated(j) {
		return s.Store.AddListed(j, ids)
	}
	rec := proto.Clone(j).(*job.Job)
	from := int(rec.Total)
	rec.Total += int32(len(ids))
	if err := s.cj.write(rec, jobrec.Command{Op: jobrec.OpCheckpoint, Request: ids, From: from}); err != nil {
		return err
	}
	return s.Store.AddListed(j, ids)
}

// Unfinished leaves out collect jobs: in a cluster they resume where the
// table says, on the node that owns their account, once it owns it.
func (s replicatedStore) Unfinished() ([]*job.Job, error) {
	all, err := s.Store.Unfinished()
	var out []*job.Job
	for _, j := range all {
		if !replicated(j) {
			out = append(out, j)
		}
	}
	return out, err
}

// adoptedStore is the store of a manager started for jobs taken over: it
// resumes exactly those.
type adoptedStore struct {
	job.Store
	jobs []*job.Job
}

func (s adoptedStore) Unfinished() ([]*job.Job, error) { return s.jobs, nil }

func (cj *clusterJobs) adoptLoop(ctx context.Context) {
	tick := time.NewTicker(adoptEvery)
	defer tick.Stop()
	for {
		cj.reap()
		for _, r := range cj.c.owner.Owned() {
			if p, ok := cutPlatform(r); ok {
				cj.adopt(ctx, p)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-cj.c.gained:
		case <-tick.C:
		}
	}
}

func cutPlatform(resource string) (string, bool) {
	const prefix = "platform/"
	if len(resource) <= len(prefix) || resource[:len(prefix)] != prefix {
		return "", false
	}
	return resource[len(prefix):], true
}

// adopt claims and resumes the account's unfinished jobs that this node
// does not run: collect jobs here, sync runs into the account by
// adoptSync.
func (cj *clusterJobs) adopt(ctx context.Context, platform string) {
	recs, err := cj.c.unfinished(ctx, platform)
	if err != nil {
		cj.a.log.Warn("cannot list the account's unfinished jobs; trying again", "platform", platform, "err", err)
		return
	}
	for _, rec := range recs {
		if rec.Kind == jobrec.KindSync {
			cj.adoptSync(ctx, platform, rec)
			continue
		}
		if cj.runs(rec.ID) {
			continue
		}
		claimed, token, ok := cj.claim(ctx, platform, rec)
		if !ok {
			continue
		}
		j, err := cj.rebuild(claimed, nil)
		if err != nil {
			cj.a.log.Error("cannot rebuild a job taken over in this node's store; it is not resumed here", "job", rec.ID, "platform", platform, "err", err)
			continue
		}
		cj.resume(j, rec.Owner, token, claimed)
	}
}

// claim makes this node the owner of rec in the table under its lease on
// platform; it answers with the record as of the claim and the lease's
// token, and false when this node does not hold the lease, the claim was
// refused or the job is over.
func (cj *clusterJobs) claim(ctx context.Context, platform string, rec jobrec.Record) (jobrec.Record, uint64, bool) {
	token, ok := cj.c.owner.Token(platformResource(platform))
	if !ok {
		return jobrec.Record{}, 0, false
	}
	res, err := cj.c.apply(ctx, jobrec.Command{Op: jobrec.OpClaim, ID: rec.ID, Platform: platform, Owner: cj.c.node.Name(), Token: token})
	if err != nil || res.Outcome != jobrec.Applied {
		cj.a.log.Warn("cannot claim a job of an account taken over; trying again", "job", rec.ID, "platform", platform, "outcome", res.Outcome, "err", err)
		return jobrec.Record{}, 0, false
	}
	return res.Record, token, !res.Record.Final
}

// recordJob is the job record the table holds, its counters the table's.
func recordJob(rec jobrec.Record) (*job.Job, error) {
	j := &job.Job{}
	if err := proto.Unmarshal(rec.Job, j); err != nil {
		return nil, err
	}
	j.Total, j.Succeeded, j.Failed = int32(len(rec.Request)), rec.Succeeded, rec.Failed
	return j, nil
}

// rebuildBatch is how many items one transaction of a rebuild writes.
const rebuildBatch = 500

// rebuild writes a job taken over into this node's store as the table
// has it: its items as requested (and listed), then every checkpointed
// item's outcome, in batches; also, when set, writes with each batch
// what its items leave besides (a sync run's bindings). A copy this node
// kept from an earlier turn of the job is brought up to the table: the
// items listed elsewhere since are added, and every outcome is written
// over it.
func (cj *clusterJobs) rebuild(rec jobrec.Record, also func(txn *store.Txn, items []jobrec.Item) error) (*job.Job, error) {
	j, err := recordJob(rec)
	if err != nil {
		return nil, err
	}
	local, err := cj.a.jobs.Get(rec.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if err := cj.a.jobs.Create(proto.Clone(j).(*job.Job), rec.Request); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	case local.GetTotal() > int32(len(rec.Request)):
		// The table is written first, so this copy cannot be ahead of it.
		return nil, fmt.Errorf("this node's copy has %d items, more than the cluster's %d", local.GetTotal(), len(rec.Request))
	case local.GetTotal() < int32(len(rec.Request)):
		// The job ran here before, moved to another node that listed
		// more pages, and came back: add those items, pending, and the
		// table's outcomes follow.
		if err := cj.a.jobs.AddListed(j, rec.Request[local.GetTotal():]); err != nil {
			return nil, err
		}
	}
	recItems := make([]jobrec.Item, 0, len(rec.Items))
	for _, i := range slices.Sorted(maps.Keys(rec.Items)) {
		recItems = append(recItems, rec.Items[i])
	}
	for len(recItems) > 0 {
		batch := recItems[:min(len(recItems), rebuildBatch)]
		recItems = recItems[len(batch):]
		items := make([]*job.Item, len(batch))
		for i, it := range batch {
			items[i] = &job.Item{}
			if err := proto.Unmarshal(it.Data, items[i]); err != nil {
				return nil, fmt.Errorf("item %d: %w", it.Index, err)
			}
		}
		var write func(*store.Txn) error
		if also != nil {
			write = func(txn *store.Txn) error { return also(txn, batch) }
		}
		if err := cj.a.jobs.CommitWith(j, items, write); err != nil {
			return nil, err
		}
	}
	if len(rec.Items) == 0 {
		if err := cj.a.jobs.Save(j); err != nil {
			return nil, err
		}
	}
	cj.a.changes.notify()
	return j, nil
}

// resume runs a job taken over under a manager of its own: the agent's
// resumes only at start.
func (cj *clusterJobs) resume(j *job.Job, from string, token uint64, rec jobrec.Record) {
	a := cj.a
	props := job.ManagerProps(job.Options{
		Store:     adoptedStore{Store: replicatedStore{Store: notifyingStore{Store: a.jobs, changes: a.changes}, cj: cj}, jobs: []*job.Job{j}},
		Platforms: a.jobPlatform,
		Observer:  a.metrics,
		Logger:    a.log.With("component", "jobs"),
	})
	cj.mu.Lock()
	defer cj.mu.Unlock()
	pid := a.system.Root.Spawn(props)
	cj.running[j.GetId()] = &run{manager: pid, token: token}
	if cj.managers == nil {
		cj.managers = map[*actor.PID]string{}
	}
	cj.managers[pid] = j.GetId()
	a.log.Info("resumed a job of an account taken over", "job", j.GetId(), "platform", j.GetPlatform(),
		"from", from, "done", rec.Done(), "total", len(rec.Request))
}

// reap stops the managers of jobs taken over whose job is over here
// (ended, or stopped as this node lost the account): the job's final
// save let go of it, so its actor is handling its last message. A poison
// pill stops the manager after what is in its mailbox, and the job actor
// after the message it is handling. Without it every takeover would
// leave a manager behind for as long as the agent runs.
func (cj *clusterJobs) reap() {
	cj.mu.Lock()
	defer cj.mu.Unlock()
	for pid, id := range cj.managers {
		if r := cj.running[id]; r == nil || r.manager != pid {
			cj.a.system.Root.Poison(pid)
			delete(cj.managers, pid)
		}
	}
}

// managersOfTakenOverJobs counts the job managers reap has not stopped.
func (cj *clusterJobs) managersOfTakenOverJobs() int {
	cj.mu.Lock()
	defer cj.mu.Unlock()
	return len(cj.managers)
}

// drainJobs has the jobs this node runs checkpoint their batches in
// flight and stop, before the node gives up its accounts.
func (c *agentCluster) drainJobs(a *Agent) {
	if c.jobs == nil || a.system == nil {
		return
	}
	c.jobs.mu.Lock()
	managers := append([]*actor.PID{a.manager}, slices.Collect(maps.Keys(c.jobs.managers))...)
	c.jobs.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, pid := range managers {
		if pid != nil {
			a.drain(ctx, pid, &job.Drain{})
		}
	}
}
