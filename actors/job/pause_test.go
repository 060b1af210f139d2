package job

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/marketsync/marketsync/actors/platform"
	"github.com/marketsync/marketsync/sdk"
	"github.com/marketsync/marketsync/sdk/model"
	"google.golang.org/protobuf/proto"
)

// scriptedConn is a plugin for a real platform actor: every fetch goes
// to answer, and calls counts those that reached it.
type scriptedConn struct {
	answer func(ids []string) (*model.FetchProductsResponse, error)
	calls  atomic.Int32
}

func (c *scriptedConn) Description() sdk.Description {
	return sdk.Description{Name: "fake", Capabilities: []sdk.Capability{sdk.CapabilityCollect},
		Limits: sdk.Limits{Rate: 1000, Burst: 1000, Operations: map[sdk.Operation]sdk.OperationLimit{sdk.OpFetchProducts: {MaxBatch: 50}}}}
}
func (c *scriptedConn) Configure(context.Context, []byte) error { return nil }
func (c *scriptedConn) Invoke(_ context.Context, req proto.Message) (proto.Message, error) {
	r, ok := req.(*model.FetchProductsRequest)
	if !ok {
		return nil, errors.New("not scripted")
	}
	c.calls.Add(1)
	return c.answer(r.GetIds())
}
func (c *scriptedConn) Ping() error  { return nil }
func (c *scriptedConn) Exited() bool { return false }
func (c *scriptedConn) Kill()        {}

func TestRejectedCredentialsPauseTheJobUntilTheReload(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const hint = "the platform rejected the signature — check app_secret and sign_method"
		wrong := &scriptedConn{answer: func([]string) (*model.FetchProductsResponse, error) {
			return nil, model.Auth("25", hint+"; Taobao said: Invalid signature")
		}}
		right := &scriptedConn{answer: func(ids []string) (*model.FetchProductsResponse, error) { return products(ids).GetFetchProducts(), nil }}

		sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return slog.New(slog.DiscardHandler) }))
		spawnPlatform := func(conn platform.Conn) *actor.PID {
			pid, err := sys.Root.SpawnNamed(platform.Props(platform.Options{Name: "src", Plugin: "taobao", Conn: conn, Concurrency: 4}), "platform-src")
			if err != nil {
				t.Fatal(err)
			}
			return pid
		}
		ppid := spawnPlatform(wrong)
		store := newMemStore()
		manager := sys.Root.Spawn(ManagerProps(Options{
			Store: store,
			Platforms: func(name string) (Platform, bool) {
				return Platform{PID: ppid, Plugin: "taobao", Collects: true, Limits: wrong.Description().Limits, Concurrency: 4}, name == "src"
			},
		}))
		t.Cleanup(func() {
			_ = sys.Root.PoisonFuture(manager).Wait()
			_ = sys.Root.PoisonFuture(ppid).Wait()
			sys.Shutdown()
			<-time.After(2 * time.Second)
		})
		res, err := sys.Root.RequestFuture(manager, &SubmitCollect{Platform: "src", Ids: ids(10_000)}, time.Minute).Result()
		if err != nil {
			t.Fatal(err)
		}
		id := res.(*Submitted).GetJob().GetId()
		synctest.Wait()

		if n := wrong.calls.Load(); n > 3 {
			t.Errorf("%d calls reached the platform with wrong credentials, want at most 3", n)
		}
		j := store.job(id)
		if j.GetState() != State_STATE_RUNNING || j.GetPausedUntil() == nil || j.GetPausedReason() != "taobao.src: "+hint+"; Taobao said: Invalid signature" {
			t.Fatalf("job %v %q, want running and paused with what to check", j.GetState(), j.GetPausedReason())
		}
		for _, it := range store.items[id] {
			if it.GetAttempts() != 0 {
				t.Fatalf("item %v spent an attempt on rejected credentials", it)
			}
		}
		// Hours later it is still paused, and the platform has not been
		// called again: the actor refuses without calling the plugin.
		<-time.After(3 * time.Hour)
		synctest.Wait()
		if n := wrong.calls.Load(); n > 3 || store.job(id).GetState() != State_STATE_RUNNING {
			t.Fatalf("after hours: %d calls, job %v", n, store.job(id).GetState())
		}

		// The reload: a new actor under the same name, then the wake-up.
		if err := sys.Root.PoisonFuture(ppid).Wait(); err != nil {
			t.Fatal(err)
		}
		ppid = spawnPlatform(right)
		sys.Root.Send(manager, &Wake{Platform: "src"})
		synctest.Wait()
		j = store.job(id)
		if j.GetState() != State_STATE_SUCCEEDED || j.GetSucceeded() != 10_000 || j.GetPausedReason() != "" {
			t.Fatalf("after the reload: %v %d succeeded, paused %q", j.GetState(), j.GetSucceeded(), j.GetPausedReason())
		}
	})
}
