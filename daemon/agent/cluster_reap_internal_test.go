package agent

import (
	"log/slog"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
)

// The manager of a job taken over is stopped once its job is over here,
// and not before; a manager of an earlier turn of a job that was taken
// over again is stopped while the new one runs on.
func TestManagersOfEndedJobsAreReaped(t *testing.T) {
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return slog.New(slog.DiscardHandler) }))
	defer sys.Shutdown()
	stopped := make(chan *actor.PID, 3)
	manager := func() *actor.PID {
		return sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
			if _, ok := c.Message().(*actor.Stopped); ok {
				stopped <- c.Self()
			}
		}))
	}
	cj := &clusterJobs{a: &Agent{system: sys}, running: map[string]*run{}, managers: map[*actor.PID]string{}}
	first, again, other := manager(), manager(), manager()
	cj.managers[first], cj.managers[again], cj.managers[other] = "job-a", "job-a", "job-b"
	cj.running["job-a"] = &run{manager: again}
	cj.running["job-b"] = &run{manager: other}

	cj.reap()
	if got := <-stopped; got != first {
		t.Fatalf("stopped %v, want the earlier manager of job-a %v", got, first)
	}
	if n := cj.managersOfTakenOverJobs(); n != 2 {
		t.Fatalf("%d managers kept, want the two whose jobs run", n)
	}
	cj.setRunning("job-b", nil) // its final save
	cj.reap()
	if got := <-stopped; got != other {
		t.Fatalf("stopped %v, want job-b's manager %v", got, other)
	}
	if n := cj.managersOfTakenOverJobs(); n != 1 {
		t.Fatalf("%d managers kept, want job-a's", n)
	}
	select {
	case got := <-stopped:
		t.Fatalf("%v stopped while its job runs", got)
	default:
	}
}
